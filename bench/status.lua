-- bench/status.lua: wrk script for run.sh's `status` scenario (keep-alive status polling).
--
--   wrk ... -s status.lua https://127.0.0.1:PORT/v1/items/ITEM -- API_KEY
-- adds "Authorization: Bearer API_KEY" to the one request every connection repeats. The request is
-- built once (no request() function), so wrk's per-request cost is the same as for GET /.

function init(args)
    wrk.headers["Authorization"] = "Bearer " .. (args[1] or "")
end
