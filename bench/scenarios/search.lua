-- Search by family name (string parameter), first page of 10 with a total.
wrk.method = "GET"
wrk.path = "/Patient?family=benkmark&_count=10&_total=accurate"
