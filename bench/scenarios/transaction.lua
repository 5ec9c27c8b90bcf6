-- Transaction Bundle: a Patient and an Observation referring to it by urn:uuid.
wrk.method = "POST"
wrk.path = "/"
wrk.headers["Content-Type"] = "application/fhir+json"
wrk.body = [[{"resourceType":"Bundle","type":"transaction","entry":[
{"fullUrl":"urn:uuid:3f0c1f4e-5d7e-4b8a-9c1d-2e3f4a5b6c7d",
 "resource":{"resourceType":"Patient","name":[{"family":"Transaksjon"}]},
 "request":{"method":"POST","url":"Patient"}},
{"resource":{"resourceType":"Observation","status":"final",
  "code":{"coding":[{"system":"http://loinc.org","code":"44261-6"}],"text":"PHQ-9 total"},
  "subject":{"reference":"urn:uuid:3f0c1f4e-5d7e-4b8a-9c1d-2e3f4a5b6c7d"},
  "valueInteger":7},
 "request":{"method":"POST","url":"Observation"}}]}]]

-- The gateway enforces authentication: a development-login session token (bench/run.sh).
if os.getenv("EMG_BENCH_TOKEN") then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("EMG_BENCH_TOKEN")
end
