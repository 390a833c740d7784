-- SPDX-License-Identifier: GPL-2.0
--[[
Hone's per-packet information as Wireshark fields: hone.verdict, hone.rule,
hone.pid, hone.exe, hone.user, hone.uid, hone.host, hone.prejudged,
hone.dry_run (honefw's verdict log) and hone.cookie (hone.ko's /dev/hone),
to filter on and show as columns:

  tshark -X lua_script:hone.lua -r verdicts.pcapng \
      -Y 'hone.exe == "/usr/bin/curl" && hone.verdict == "drop"'
  tshark -X lua_script:hone.lua -r verdicts.pcapng \
      -T fields -e hone.pid -e hone.exe -e hone.user -e hone.verdict

In a Lua plugin directory of Wireshark's ("tshark -G folders"; make install
uses the one for all users) it loads without -X, and must then not be
given with -X too: Wireshark refuses a second protocol "hone".

Each Enhanced Packet Block says it twice (hone-pcapng(5)): in options
257-265 and in the packet comment. Wireshark 4.0 skips options it does not
know, Hone's and epb_processid_threadid alike, and gives a dissector no way
to read them: of a packet's options only the comment (frame.comment) and
epb_flags (frame.packet_flags) reach it. So this postdissector reads the
comment, and what only the options hold (in honefw's log the cookie 259,
mark 261 and nth 263) is not here. The comments are

  honefw:  verdict=V rule=NAME pid=N exe=PATH user=NAME [script=PATH]
           [unit=NAME] [host=NAME] [prejudged=MARK] [dry-run=yes]
           (of a process not known: pid=- exe=- user=- [uid=N])
  hone.ko: pid=N exe=PATH conn=COOKIE

with "-" or "?" for what is not known, and then the field is left out.
]]

local hone = Proto("hone", "Hone")

-- By the comment's names.
local fields = {
	verdict = ProtoField.string("hone.verdict", "Verdict"),
	rule = ProtoField.string("hone.rule", "Rule"),
	pid = ProtoField.uint32("hone.pid", "Process ID"),
	-- Kept whole: a file that only claims the path is "PATH(foreign)"
	-- (honefw(8)), so it never passes for the file at PATH.
	exe = ProtoField.string("hone.exe", "Executable"),
	user = ProtoField.string("hone.user", "User"),
	-- Of a process not known: whose socket it is, as the kernel told.
	uid = ProtoField.uint32("hone.uid", "Socket's user id"),
	-- The #! script hone.ko saw run (a claim as exe's may be), and the
	-- systemd unit of the process's cgroup.
	script = ProtoField.string("hone.script", "Script"),
	unit = ProtoField.string("hone.unit", "Unit"),
	-- A name the user's DNS answers gave the remote address (host rules)
	host = ProtoField.string("hone.host", "Host"),
	-- Passed unqueued by a verdict given ahead: the conntrack mark it
	-- set, "(stale)" after it when the rules gave another by then.
	prejudged = ProtoField.string("hone.prejudged",
				      "Passed by a verdict given ahead"),
	["dry-run"] = ProtoField.bool("hone.dry_run", "Dry run (not enforced)"),
	conn = ProtoField.uint64("hone.cookie", "Socket cookie"),
}
hone.fields = fields

-- honefw writes a name its owner chose (a path, a unit, a host) with
-- bytes outside printable ASCII, blanks, quotes and backslashes as \xHH:
-- the field holds the name itself.
local function unescape(v)
	return (v:gsub("\\x(%x%x)", function(h)
		return string.char(tonumber(h, 16))
	end))
end

-- The text as the field's type; strings unescaped.
local typed = {
	pid = tonumber,
	uid = tonumber,
	["dry-run"] = function(v) return v == "yes" end,
	-- Digit by digit: past 2^53 a Lua number would round.
	conn = function(v)
		local n = UInt64(0)
		for d in v:gmatch("%d") do
			n = n * 10 + tonumber(d)
		end
		return n
	end,
}

-- The comment's "key=value" words, in order; nil if it is not Hone's.
-- hone.ko's path may hold spaces (and "x=y"): a word that does not start
-- with a known key goes on the value before it. Only such a path holding
-- " user=" or the like is misread; its Process Event Block has it whole.
local function parse(comment)
	local words = {}
	for word in (comment .. " "):gmatch("(.-) ") do
		local k, v = word:match("^([%a-]+)=(.*)$")
		if fields[k] then
			words[#words + 1] = { k, v }
		elseif #words > 0 then
			words[#words][2] = words[#words][2] .. " " .. word
		else
			return nil
		end
	end
	return words
end

local comments = Field.new("frame.comment")

function hone.dissector(_, _, tree)
	for _, c in ipairs({ comments() }) do
		local words = parse(c.value)
		if words then
			local item = tree:add(hone)
			for _, w in ipairs(words) do
				local k, v = w[1], w[2]
				if v ~= "-" and v ~= "?" then
					item:add(fields[k], (typed[k] or unescape)(v))
				end
			end
		end
	end
end

register_postdissector(hone)
