-- ocsp-nonce.lua - wrk script for bench/run: POST /ocsp with a fresh nonce
-- in every request, so that every answer must be signed for that request.
--
--   wrk ... -s bench/ocsp-nonce.lua http://127.0.0.1:PORT -- REQS_FILE
--
-- REQS_FILE holds one OCSPRequest a line, in hex, as `openssl ocsp
-- -issuer ... -serial ... -reqout` writes it with its default nonce: the
-- nonce extension is the last thing in the DER, its value the last 16
-- octets (OCTET STRING in OCTET STRING, RFC 6960 section 4.4.1).  Each
-- request takes the next template and overwrites those 16 octets: 4 of
-- thread number, 4 of a per-thread counter, 8 random, so no two requests
-- of a run share a nonce.
--
-- Every answer is checked: an HTTP 200 whose body is an OCSPResponse
-- with responseStatus successful (a tryLater or internalError answer
-- also comes with HTTP 200, so wrk alone would count it).  done() prints
--   ocsp-nonce: successful=N other=M
-- for bench/run to read.

local templates = {}
local n = 0
local count = 0
local threads = {}
local nthreads = 0
-- Globals, so that done() can read them from each thread.
ok = 0
bad = 0

local function unhex(h)
	return (h:gsub("%x%x", function(x)
		return string.char(tonumber(x, 16))
	end))
end

function setup(thread)
	thread:set("id", nthreads)
	nthreads = nthreads + 1
	threads[#threads + 1] = thread
end

function init(args)
	for line in io.lines(args[1]) do
		if #line > 0 then
			local der = unhex(line)
			local k = #der - 17
			-- ... 04 12 04 10 <16 octets>: the nonce comes last.
			if der:byte(k) ~= 0x04 or der:byte(k + 1) ~= 0x10 or
			    der:byte(k - 2) ~= 0x04 or
			    der:byte(k - 1) ~= 0x12 then
				error("ocsp-nonce.lua: no 16-octet nonce at " ..
				    "the end of a request in " .. args[1])
			end
			templates[#templates + 1] = der:sub(1, k + 1)
		end
	end
	if #templates == 0 then
		error("ocsp-nonce.lua: no requests in " .. tostring(args[1]))
	end
	math.randomseed(os.time() * 1000 + (id or 0))
	n = (id or 0) * 7 % #templates
end

local function be32(v)
	return string.char(math.floor(v / 16777216) % 256,
	    math.floor(v / 65536) % 256, math.floor(v / 256) % 256, v % 256)
end

function request()
	n = n % #templates + 1
	count = count + 1
	local nonce = be32(id or 0) .. be32(count) ..
	    string.char(math.random(0, 255), math.random(0, 255),
	    math.random(0, 255), math.random(0, 255), math.random(0, 255),
	    math.random(0, 255), math.random(0, 255), math.random(0, 255))
	return wrk.format("POST", "/ocsp",
	    { ["Content-Type"] = "application/ocsp-request" },
	    templates[n] .. nonce)
end

-- OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, ... }: the
-- sequence's length takes 1 to 3 octets, then 0a 01 00 is successful.
function response(status, headers, body)
	local b = body or ""
	local i = 3
	if b:byte(2) and b:byte(2) >= 0x80 then
		i = 3 + b:byte(2) - 0x80
	end
	if status == 200 and b:byte(1) == 0x30 and b:byte(i) == 0x0a and
	    b:byte(i + 1) == 0x01 and b:byte(i + 2) == 0x00 and #b > 100 then
		ok = ok + 1
	else
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	local s, o = 0, 0
	for _, t in ipairs(threads) do
		s = s + (t:get("ok") or 0)
		o = o + (t:get("bad") or 0)
	end
	io.write(string.format("ocsp-nonce: successful=%d other=%d\n", s, o))
end
