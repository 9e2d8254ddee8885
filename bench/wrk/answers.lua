-- Answer-saving: cycles through lines "cookie<TAB>csrf token<TAB>path<TAB>choice id" of
-- logged-in contestants with started attempts (WRK_LINES), each thread from its own
-- offset, POSTing the answer form as a browser without JavaScript does (expects 303),
-- or as htmx does (WRK_HTMX=1: the next question's fragment comes back, 200 or 204),
-- or with WRK_METHOD=GET loading the question page. WRK_ONE_PASS=1: each thread stops
-- after as many responses as there are lines (with the answers reset beforehand, every
-- htmx answer then finds the attempt as a contestant would: the next question unanswered).
package.path = os.getenv("WRK_SCRIPTS") .. "/?.lua;" .. package.path
require("common")

local lines = {}
local index = 0

function init(args)
  for line in io.lines(os.getenv("WRK_LINES")) do
    local cookie, token, path, choice = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)$")
    if cookie then
      table.insert(lines, {cookie = cookie, token = token, path = path, choice = choice})
    end
  end
  index = (id or 1) * 7919
end

local method = os.getenv("WRK_METHOD") or "POST"
local encoding = os.getenv("WRK_ENCODING") or ""
local htmx = os.getenv("WRK_HTMX") == "1"
local one_pass = os.getenv("WRK_ONE_PASS") == "1"
local responses = 0

function request()
  started_us = started_us or now_us()
  index = index + 1
  local line = lines[(index % #lines) + 1]
  if method == "GET" then
    return wrk.format("GET", line.path, {["Cookie"] = line.cookie, ["Accept-Encoding"] = encoding})
  end
  local body = "csrf_token=" .. line.token .. "&choice=" .. line.choice
  local headers = {
    ["Cookie"] = line.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept-Encoding"] = encoding,
  }
  if htmx then
    headers["HX-Request"] = "true"
  end
  return wrk.format("POST", line.path, headers, body)
end

function response(status, headers, body)
  count_status(status)
  responses = responses + 1
  if one_pass and responses >= #lines then
    finished_us = finished_us or now_us()
    wrk.thread:stop()
  end
end
