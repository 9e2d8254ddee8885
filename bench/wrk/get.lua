-- GET one path (wrk's URL), optionally with Accept-Encoding (WRK_ENCODING) as a browser
-- sends it; every response must carry the expected status (WRK_EXPECT, default 200).
package.path = os.getenv("WRK_SCRIPTS") .. "/?.lua;" .. package.path
require("common")

local encoding = os.getenv("WRK_ENCODING")
if encoding and encoding ~= "" then
  wrk.headers["Accept-Encoding"] = encoding
end

function response(status, headers, body)
  count_status(status)
end
