-- paths.lua - wrk script for bench/run: every request takes the next path
-- from a file (one path a line), so a server answers for many different
-- organizations rather than one hot row.  Both servers get the same script,
-- so its cost in wrk is the same on both sides of a ratio.
--
--   wrk ... -s bench/paths.lua http://127.0.0.1:PORT -- PATHS_FILE

local reqs = {}
local i = 0
local nthreads = 0

function setup(thread)
	thread:set("id", nthreads)
	nthreads = nthreads + 1
end

function init(args)
	for line in io.lines(args[1]) do
		if #line > 0 then
			reqs[#reqs + 1] = wrk.format("GET", line)
		end
	end
	if #reqs == 0 then
		error("paths.lua: no paths in " .. tostring(args[1]))
	end
	-- Threads start at different places in the list.
	i = (id or 0) * 7919 % #reqs
end

function request()
	i = i % #reqs + 1
	return reqs[i]
end
