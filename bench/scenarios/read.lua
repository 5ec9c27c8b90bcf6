-- Read of one existing Patient by id (EMG_READ_ID).
wrk.method = "GET"
wrk.path = "/Patient/" .. os.getenv("EMG_READ_ID")
