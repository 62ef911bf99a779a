-- bench/callback.lua: wrk script for run.sh's `callback` scenario.
--
-- Every request is a browser callback for an item nobody has seen yet:
--   GET /oauth/callback?itemId=bench-<thread>-<counter>
-- <thread> is "<tag>t<n>": the tag run.sh passes (`wrk ... -s callback.lua -- TAG`, e.g. "m2" for
-- the second measured attempt, "w" for the warm-up), so ids never repeat within one store; <n> is
-- the wrk thread (1-based); <counter> counts that thread's requests from 1. The ids use only the
-- item-id alphabet (A-Z a-z 0-9 . _ -).
-- At the end one line per thread, "generated thread=<thread> ids=<count>", tells run.sh which ids
-- were sent (it then reads some back through GET /v1/items/{id}).

local threads = {}
local next_thread = 0

function setup(thread)
    next_thread = next_thread + 1
    thread:set("n", next_thread)
    table.insert(threads, thread)
end

function init(args)
    tag = args[1] or ""
    label = tag .. "t" .. n
    counter = 0
end

function request()
    counter = counter + 1
    return wrk.format("GET", "/oauth/callback?itemId=bench-" .. label .. "-" .. counter)
end

function done(summary, latency, requests)
    for _, thread in ipairs(threads) do
        io.write(string.format("generated thread=%s ids=%d\n", thread:get("label"), thread:get("counter")))
    end
end
