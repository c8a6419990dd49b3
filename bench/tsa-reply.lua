-- tsa-reply.lua - wrk script for bench/run: POST /tsa with one fixed
-- time-stamp query, and check every answer.
--
--   wrk ... -s bench/tsa-reply.lua http://127.0.0.1:PORT -- QUERY [SERIALS]
--
-- QUERY is the DER of a TimeStampReq as `openssl ts -query -sha256 -cert`
-- writes it: ... OCTET STRING (32 octets, the imprint), INTEGER (the
-- nonce), BOOLEAN TRUE (certReq).  Every request sends it unchanged, as a
-- client stamping one document over and over would.
--
-- An answer counts as granted when it is an HTTP 200 whose body is a
-- TimeStampResp (RFC 3161 section 2.4.2) with PKIStatusInfo status 0
-- (granted) followed by a token (a SEQUENCE), and the body holds the
-- query's imprint followed at once by an INTEGER (TSTInfo's serialNumber
-- comes right after messageImprint) and, later, the query's nonce.  A
-- rejection (for example systemFailure under overload) also comes with
-- HTTP 200, so wrk alone would count it.
--
-- The serial of every granted token is kept: a serial seen twice in the
-- run counts as a duplicate.  done() prints
--   tsa-reply: granted=N other=M duplicate=D min=A max=B
-- and, when SERIALS is given, writes every serial seen (decimal, one a
-- line) to that file, for bench/run to compare with other runs and with
-- the store's counter.

local query
local imprint
local nonce
local threads = {}
-- Globals, so that done() can read them from each thread.
ok = 0
bad = 0
dup = 0
serials = {}

local function fail(msg)
	error("tsa-reply.lua: " .. msg)
end

function setup(thread)
	threads[#threads + 1] = thread
end

-- Length of the DER element whose tag is at i: content start, length.
local function der_len(s, i)
	local b = s:byte(i + 1)
	if b == nil then
		return nil
	end
	if b < 0x80 then
		return i + 2, b
	end
	local n, len = b - 0x80, 0
	if n < 1 or n > 3 then
		return nil
	end
	for k = 1, n do
		local c = s:byte(i + 1 + k)
		if c == nil then
			return nil
		end
		len = len * 256 + c
	end
	return i + 2 + n, len
end

function init(args)
	local f = io.open(args[1] or "", "rb")
	if f == nil then
		fail("cannot read the query " .. tostring(args[1]))
	end
	query = f:read("*a")
	f:close()
	-- The imprint: the first OCTET STRING of 32 octets after the
	-- algorithm; then the nonce INTEGER.
	local k = query:find("\4\32", 1, true)
	if k == nil or #query < k + 2 + 32 + 2 then
		fail("no SHA-256 imprint in " .. args[1])
	end
	imprint = query:sub(k + 2, k + 33)
	local j = k + 34
	if query:byte(j) ~= 0x02 then
		fail("no nonce after the imprint in " .. args[1] ..
		    " (make it without -no_nonce)")
	end
	local c, len = der_len(query, j)
	nonce = query:sub(j, c + len - 1)
	serials_path = args[2]
	-- Other threads' requests are the same; wrk.format is called once.
	req = wrk.format("POST", "/tsa",
	    { ["Content-Type"] = "application/timestamp-query" }, query)
end

function request()
	return req
end

-- A granted answer's serial, or nil.
local function granted(status, body)
	if status ~= 200 or body:byte(1) ~= 0x30 then
		return nil
	end
	local c = der_len(body, 1)
	-- PKIStatusInfo ::= SEQUENCE { status PKIStatus, ... }
	if c == nil or body:byte(c) ~= 0x30 then
		return nil
	end
	local sc, slen = der_len(body, c)
	if sc == nil or body:sub(sc, sc + 2) ~= "\2\1\0" then
		return nil
	end
	-- timeStampToken ContentInfo
	if body:byte(sc + slen) ~= 0x30 then
		return nil
	end
	local p = body:find(imprint, sc + slen, true)
	if p == nil or body:byte(p + 32) ~= 0x02 then
		return nil
	end
	local vc, vlen = der_len(body, p + 32)
	if vc == nil or vlen < 1 or vlen > 6 then
		return nil
	end
	if body:find(nonce, vc + vlen, true) == nil then
		return nil
	end
	local v = 0
	for i = vc, vc + vlen - 1 do
		v = v * 256 + body:byte(i)
	end
	return v
end

function response(status, headers, body)
	local s = granted(status, body or "")
	if s == nil then
		bad = bad + 1
		return
	end
	ok = ok + 1
	if serials[s] then
		dup = dup + 1
	end
	serials[s] = true
end

function done(summary, latency, requests)
	local g, o, d = 0, 0, 0
	local all = {}
	local min, max
	for _, t in ipairs(threads) do
		g = g + (t:get("ok") or 0)
		o = o + (t:get("bad") or 0)
		d = d + (t:get("dup") or 0)
		for s in pairs(t:get("serials") or {}) do
			if all[s] then
				d = d + 1
			end
			all[s] = true
			if min == nil or s < min then
				min = s
			end
			if max == nil or s > max then
				max = s
			end
		end
	end
	local path = threads[1] and threads[1]:get("serials_path")
	if path ~= nil then
		local f = io.open(path, "w")
		if f == nil then
			fail("cannot write " .. path)
		end
		for s in pairs(all) do
			f:write(string.format("%d\n", s))
		end
		f:close()
	end
	io.write(string.format("tsa-reply: granted=%d other=%d duplicate=%d " ..
	    "min=%d max=%d\n", g, o, d, min or 0, max or 0))
end
