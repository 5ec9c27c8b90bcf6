-- Durable create: POST /Patient (every response waits for the group-committed fsync).
wrk.method = "POST"
wrk.path = "/Patient"
wrk.headers["Content-Type"] = "application/fhir+json"
wrk.body = '{"resourceType":"Patient","active":true,"name":[{"family":"Skrivetest","given":["Kari"]}],' ..
  '"gender":"female","birthDate":"1991-03-12",' ..
  '"identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1","value":"12839140000"}]}'
