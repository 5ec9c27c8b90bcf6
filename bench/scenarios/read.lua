-- Read of one existing Patient by id (EMG_READ_ID).
wrk.method = "GET"
wrk.path = "/Patient/" .. os.getenv("EMG_READ_ID")

-- The gateway enforces authentication: a development-login session token (bench/run.sh).
if os.getenv("EMG_BENCH_TOKEN") then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("EMG_BENCH_TOKEN")
end
