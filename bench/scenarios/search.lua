-- Search by family name (string parameter), first page of 10 with a total.
wrk.method = "GET"
wrk.path = "/Patient?family=benkmark&_count=10&_total=accurate"

-- The gateway enforces authentication: a development-login session token (bench/run.sh).
if os.getenv("EMG_BENCH_TOKEN") then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("EMG_BENCH_TOKEN")
end
