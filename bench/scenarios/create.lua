-- Durable create: POST /Patient, each with a fresh synthetic fødselsnummer (month + 80, valid
-- mod-11 check digits), so every request passes the unique-identifier check and is stored.
-- Every response waits for the group-committed fsync.

local thread_counter = 0
function setup(thread)
  thread:set("thread_index", thread_counter)
  thread_counter = thread_counter + 1
end

local w1 = {3, 7, 6, 1, 8, 9, 4, 5, 2}
local w2 = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2}

local function check_digit(digits, weights)
  local sum = 0
  for i = 1, #weights do sum = sum + digits[i] * weights[i] end
  local k = 11 - sum % 11
  if k == 11 then return 0 end
  return k  -- 10 means "no valid number"
end

-- The n-th synthetic fødselsnummer of this thread (skips numbers without valid check digits).
local n = 0
local function next_fnr()
  while true do
    n = n + 1
    local individual = (thread_index or 0) * 500 + n % 500
    local rest = math.floor(n / 500)
    local day = rest % 28 + 1
    local month = math.floor(rest / 28) % 12 + 81
    local year = math.floor(rest / 336) % 100
    local s = string.format("%02d%02d%02d%03d", day, month, year, individual)
    local d = {}
    for i = 1, 9 do d[i] = tonumber(s:sub(i, i)) end
    local k1 = check_digit(d, w1)
    if k1 < 10 then
      d[10] = k1
      local k2 = check_digit(d, w2)
      if k2 < 10 then return s .. k1 .. k2 end
    end
  end
end

local headers = {["Content-Type"] = "application/fhir+json"}
-- The gateway enforces authentication: a development-login session token (bench/run.sh).
if os.getenv("EMG_BENCH_TOKEN") then
  headers["Authorization"] = "Bearer " .. os.getenv("EMG_BENCH_TOKEN")
end

function request()
  local body = '{"resourceType":"Patient","active":true,' ..
    '"name":[{"family":"Skrivetest","given":["Kari"]}],"gender":"female","birthDate":"1991-03-12",' ..
    '"identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1","value":"' .. next_fnr() .. '"}]}'
  return wrk.format("POST", "/Patient", headers, body)
end
