--- arxivdigest.watch: standing watches. A watch file (Lua, run in a
-- sandbox) names an archive of digest files, the watches (a query, a list
-- of followed authors, a filter, a library) and the outputs; every run
-- delivers what is new for each watch since its last delivery, once, and
-- remembers it in a state file.
--
--   local watch = require "arxivdigest.watch"
--   local cfg = watch.load("watches.lua")          -- raises "watches.lua:7: ..." on a bad file
--   local report = watch.run(cfg)                  -- update, deliver, write outputs and state
--   local report = watch.run(cfg, {dry = true})    -- what a run would deliver; changes nothing
--   watch.status(cfg), watch.reset(cfg, {watch = "people", since = "2024-03-01"})
--
-- New since the last run: by digest files and appearances, never by the
-- clock. The state records every digest file the archive held at each run
-- (its path, content hash and the run that first saw it). A paper is new
-- for a watch when none of its appearances is in a file the archive held
-- at that watch's last delivery: a late-arriving old digest file counts
-- once, when it arrives. A watch's first run delivers the papers first
-- seen on the newest digest day (or since its `since` day). A new version
-- of a paper the watch delivered is delivered once more, as revised, with
-- what changed (version, DOI, journal reference). A paper is never
-- delivered twice for the same version.
--
-- The archive view: the saved index (`index`) plus, for the files it does
-- not hold yet, a small index built in memory ("pending" files). A daily
-- run that finds a few new files leaves the saved index alone (an update
-- re-encodes every posting, about a second on 190,000 papers); the saved
-- index is brought up to date when files changed or were removed, when
-- more than `pending` files (default 7) wait, when it is missing, or with
-- opts.full. Both views answer the same: every query, appearance and
-- version is read from one index or the other. A library watch ranks the
-- new papers with the recommendation model of the saved index (its
-- statistics: idf, background), the pending ones as candidates from the
-- small index (idx:recommend's `candidates`), so it needs no update
-- either; the model is kept beside the saved index (INDEX.model) and
-- built again only when the saved index changed.
--
-- A run: lock (flock on STATE.lock: the kernel drops it with the process,
-- so no lock is ever stale), read the state, view the archive, compute
-- every watch (a failing watch is reported, the others deliver), write
-- every output atomically, pipe the e-mail to sendmail, and write the
-- state atomically last. Killed at any point, a run leaves the old state
-- (or the new one, complete): the next run delivers again what was not
-- recorded; nothing is lost, at worst repeated once.

local ad = require "arxivdigest"
local core = require "arxivdigest.core"
local query = require "arxivdigest.query"
local filter = require "arxivdigest.filter"
local match = require "arxivdigest.match"
local names = require "arxivdigest.names"
local output = require "arxivdigest.output"
local script = require "arxivdigest.script"

local type, error, ipairs, pairs, pcall, tostring, tonumber, next, load =
      type, error, ipairs, pairs, pcall, tostring, tonumber, next, load
local format, concat, sort, insert = string.format, table.concat, table.sort, table.insert
local floor = math.floor
local io, os = io, os

local M = {}

M.STATE_FORMAT = 1
M.DEFAULT_LIMIT = 100       -- new papers per watch and run
M.DEFAULT_KEEP = 200        -- entries of an accumulated Atom feed
M.DEFAULT_PENDING = 7       -- files indexed on the side before the saved index is updated
M.KINDS = {"query", "authors", "filter", "library"}
M.FORMATS = {"atom", "html", "markdown", "jsonl", "text", "email"}

-- {======================================================
-- Small helpers
-- =======================================================

local function iso(t) return os.date("!%Y-%m-%dT%H:%M:%SZ", t) end
M.iso = iso

local function shell_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function is_date(s)
  if type(s) ~= "string" then return false end
  local ok = pcall(query.parse, "date:" .. s)
  return ok and s:match("^%d%d%d%d%-%d%d%-%d%d$") ~= nil
end
M.is_date = is_date

-- the current directory, once
local cwd_cache
local function cwd()
  if not cwd_cache then
    local env = os.getenv("PWD")
    local p = io.popen("pwd 2>/dev/null")
    local out = p and p:read("l")
    if p then p:close() end
    cwd_cache = (out and out:sub(1, 1) == "/" and out) or env or "/"
  end
  return cwd_cache
end

local function dirname(path)
  local d = path:match("^(.*)/[^/]*$")
  if d == nil then return "." end
  if d == "" then return "/" end
  return d
end

local function basename(path) return path:match("([^/]*)$") end

-- "~/x" -> $HOME/x; a relative path -> base/path; "." and ".." parts and
-- double slashes folded (textually)
local function expand(path, base)
  if path:sub(1, 2) == "~/" or path == "~" then
    local home = os.getenv("HOME")
    if not home or home == "" then error("cannot expand '~' in '" .. path .. "': HOME is not set", 0) end
    path = home .. path:sub(2)
  elseif path:sub(1, 1) ~= "/" then
    path = (base or cwd()) .. "/" .. path
  end
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." then
      if #parts > 0 then parts[#parts] = nil end
    elseif part ~= "." then
      parts[#parts + 1] = part
    end
  end
  return "/" .. concat(parts, "/")
end
M.expand = expand

local function mkdir_p(dir)
  local f = io.open(dir .. "/.", "r")
  if f then f:close(); return true end
  local ok = os.execute("mkdir -p " .. shell_quote(dir) .. " 2>/dev/null")
  if ok ~= true then return nil, dir .. ": cannot create the folder" end
  return true
end

local function file_exists(path)
  local f = io.open(path, "rb")
  if f then f:close(); return true end
  return false
end

-- a short stable hash of a string (FNV-1a 32 bits, hex)
local function fnv(s)
  local h = 2166136261
  for i = 1, #s do
    h = ((h ~ s:byte(i)) * 16777619) & 0xffffffff
  end
  return format("%08x", h)
end

-- Test hook: ARXIVDIGEST_TEST_CRASH=<point> kills this process with
-- SIGKILL when the run reaches the named point (spec/watch_spec.lua checks
-- that a run killed anywhere leaves state and outputs old or new).
local CRASH = os.getenv("ARXIVDIGEST_TEST_CRASH")
local function crash_point(name)
  if CRASH and CRASH == name then
    io.stdout:flush(); io.stderr:flush()
    os.execute("kill -KILL $PPID")
    -- not reached: the shell's parent (this process) is gone
    os.exit(137, false)
  end
end
M._crash_point = crash_point

-- }======================================================

-- {======================================================
-- The watch file
-- =======================================================

local TOP_KEYS = {"archive", "index", "state", "pending", "title", "watches", "outputs"}
local WATCH_KEYS = {"name", "query", "authors", "filter", "library", "since", "limit"}
local OUTPUT_KEYS = {
  atom = {"format", "path", "keep", "title", "id", "link"},
  html = {"format", "path", "title", "weeks"},
  markdown = {"format", "path", "title"},
  jsonl = {"format", "path"},
  text = {"format", "path", "title"},
  email = {"format", "path", "sendmail", "to", "from", "subject", "title", "always", "weeks"},
}

local function set_of(list)
  local s = {}
  for _, k in ipairs(list) do s[k] = true end
  return s
end

-- The line of the first `key =` at or after line `from` of the source
-- (nil when not found): the watch file's values carry no positions.
local function key_line(lines, key, from)
  if not lines then return nil end
  local pat = "%f[%w_]" .. key:gsub("%p", "%%%0") .. "%s*="
  local pat2 = "%[%s*[\"']" .. key:gsub("%p", "%%%0") .. "[\"']%s*%]%s*="
  for i = from or 1, #lines do
    local l = lines[i]
    if l:find(pat) or l:find(pat2) then return i end
  end
  return nil
end

-- the line of watch/output number k (the nth line naming it, or its k-th
-- "{" in the list)
local function item_line(lines, list_key, k, name, nth)
  if not lines then return nil end
  local start = key_line(lines, list_key, 1) or 1
  if name then
    local pat = "name%s*=%s*[\"']" .. name:gsub("%p", "%%%0") .. "[\"']"
    local seen = 0
    for i = start, #lines do
      if lines[i]:find(pat) then
        seen = seen + 1
        if seen == (nth or 1) then return i end
      end
    end
  end
  -- the k-th line that opens a table after the list's line
  local seen = 0
  for i = start, #lines do
    local l = lines[i]
    if i == start then l = l:gsub("^.-=%s*{", "") end
    for _ in l:gmatch("{") do
      seen = seen + 1
      if seen == k then return i end
    end
  end
  return start
end

local function cfg_error(path, line, msg)
  if line then error(format("%s:%d: %s", path, line, msg), 0) end
  error(format("%s: %s", path, msg), 0)
end

local function unknown_keys(t, allowed)
  local bad = {}
  for k in pairs(t) do
    if type(k) ~= "string" or not allowed[k] then
      if type(k) == "string" then bad[#bad + 1] = k end
    end
  end
  sort(bad)
  return bad
end

local function string_list(v)
  if type(v) == "string" then return {v} end
  if type(v) ~= "table" then return nil end
  local out = {}
  for i = 1, #v do
    if type(v[i]) ~= "string" then return nil end
    out[i] = v[i]
  end
  for k in pairs(v) do
    if math.type(k) ~= "integer" or k < 1 or k > #v then return nil end
  end
  return out
end

local function positive_int(v)
  return math.type(v) == "integer" and v > 0 or (type(v) == "number" and v > 0 and v == floor(v) and v < 2^53)
end

local function one_line_ok(s)
  return type(s) == "string" and not s:find("[%z\1-\31\127]")
end

--- Loads and checks a watch file. opts: max_instructions, max_memory
-- (the sandbox's budgets). Returns the configuration; raises an error
-- "path:line: message" for a script error, a missing or malformed key or
-- an unknown key (named, with the known ones).
function M.load(path, opts)
  opts = opts or {}
  if type(path) ~= "string" then
    error(format("bad argument #1 to 'load' (watch file path expected, got %s)", type(path)), 2)
  end
  local abspath = expand(path)
  local fh, ferr = io.open(path, "rb")
  if not fh then error(tostring(ferr), 0) end
  local src = fh:read("a") or ""
  fh:close()
  local lines = {}
  for l in (src .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  local sb, t = script.run_sandboxed(path, {
    max_instructions = opts.max_instructions or 5e7,
    max_memory = opts.max_memory or 64 * 1024 * 1024,
  })
  if not sb then error(tostring(t), 0) end
  if type(t) ~= "table" then
    cfg_error(path, nil, format("a watch file must return a table (got %s)",
      type(t) == "userdata" and "a value" or type(t)))
  end
  local bad = unknown_keys(t, set_of(TOP_KEYS))
  if #bad > 0 then
    cfg_error(path, key_line(lines, bad[1]), format("unknown key%s %s (known: %s)", #bad > 1 and "s" or "",
      "'" .. concat(bad, "', '") .. "'", concat(TOP_KEYS, ", ")))
  end
  local base = dirname(abspath)
  local cfg = {path = path, abspath = abspath, dir = base, sandbox = sb, lines = lines}

  local archive = string_list(t.archive)
  if not archive or #archive == 0 then
    cfg_error(path, key_line(lines, "archive"), t.archive == nil
      and "'archive' is missing (the folder of digest files, e.g. archive = \"~/digests\")"
      or "'archive' must be a folder (a string) or a list of folders")
  end
  cfg.archive = {}
  for i, a in ipairs(archive) do cfg.archive[i] = expand(a, base) end

  for _, k in ipairs{"index", "state", "title"} do
    if t[k] ~= nil and not one_line_ok(t[k]) then
      cfg_error(path, key_line(lines, k), format("'%s' must be a string", k))
    end
  end
  cfg.title = t.title
  local stem = basename(abspath):gsub("%.lua$", "")
  if stem == "" then stem = "watches" end
  local stem_id = stem:gsub("[^%w%-_%.]", "_") .. "-" .. fnv(abspath)
  if t.state then
    cfg.state = expand(t.state, base)
  else
    local xdg = os.getenv("XDG_STATE_HOME")
    local home = os.getenv("HOME")
    local dir
    if xdg and xdg:sub(1, 1) == "/" then dir = xdg .. "/arxivdigest"
    elseif home and home ~= "" then dir = home .. "/.local/state/arxivdigest"
    else cfg_error(path, nil, "no state folder: set XDG_STATE_HOME or HOME, or give state = \"file\"") end
    cfg.state = dir .. "/" .. stem_id .. ".state.lua"
    cfg.default_state = true
  end
  cfg.lock = cfg.state .. ".lock"
  if t.index then cfg.index = expand(t.index, base)
  else cfg.index = dirname(cfg.state) .. "/" .. stem_id .. ".adx"; cfg.default_index = true end
  if t.pending ~= nil and not (t.pending == 0 or positive_int(t.pending)) then
    cfg_error(path, key_line(lines, "pending"), "'pending' must be a number of files (0 or more)")
  end
  cfg.pending = t.pending and math.tointeger(t.pending) or M.DEFAULT_PENDING

  -- watches
  if type(t.watches) ~= "table" or #t.watches == 0 then
    cfg_error(path, key_line(lines, "watches"), t.watches == nil and "'watches' is missing (a list of watches)"
      or "'watches' must be a non-empty list of watches")
  end
  for k in pairs(t.watches) do
    if math.type(k) ~= "integer" then
      cfg_error(path, key_line(lines, "watches"), "'watches' must be a list (found the key '" .. tostring(k) .. "')")
    end
  end
  local allowed, seen, times = set_of(WATCH_KEYS), {}, {}
  cfg.watches = {}
  for i, w in ipairs(t.watches) do
    local name = type(w) == "table" and type(w.name) == "string" and w.name or nil
    if name then times[name] = (times[name] or 0) + 1 end
    local line = item_line(lines, "watches", i, name, name and times[name])
    local what = name and format("watch '%s'", name) or format("watch %d", i)
    if type(w) ~= "table" then cfg_error(path, line, what .. " must be a table") end
    local wbad = unknown_keys(w, allowed)
    if #wbad > 0 then
      cfg_error(path, key_line(lines, wbad[1], line) or line, format("unknown key%s %s in %s (known: %s)",
        #wbad > 1 and "s" or "", "'" .. concat(wbad, "', '") .. "'", what, concat(WATCH_KEYS, ", ")))
    end
    if not name or name:match("^%s*$") or not one_line_ok(name) or #name > 200 then
      cfg_error(path, line, what .. " needs a name (a one-line string)")
    end
    if seen[name] then cfg_error(path, line, format("two watches are named '%s'", name)) end
    seen[name] = true
    local kinds = {}
    for _, kk in ipairs(M.KINDS) do if w[kk] ~= nil then kinds[#kinds + 1] = kk end end
    if #kinds ~= 1 then
      cfg_error(path, line, format("%s needs exactly one of query, authors, filter, library (%s)", what,
        #kinds == 0 and "none given" or "got " .. concat(kinds, " and ")))
    end
    local kind = kinds[1]
    local wc = {name = name, kind = kind, line = line, limit = M.DEFAULT_LIMIT}
    if kind == "query" then
      if type(w.query) ~= "string" or w.query:match("^%s*$") then
        cfg_error(path, key_line(lines, "query", line) or line, what .. ": 'query' must be a query string")
      end
      wc.query = w.query
    elseif kind == "authors" then
      local list = string_list(w.authors)
      if not list or #list == 0 then
        cfg_error(path, key_line(lines, "authors", line) or line,
          what .. ": 'authors' must be a name or a list of names")
      end
      wc.authors = list
    elseif kind == "filter" then
      if type(w.filter) ~= "userdata" then
        cfg_error(path, key_line(lines, "filter", line) or line, what
          .. ": 'filter' must be a filter (arxivdigest.filter) or a function(paper)")
      end
      local f, got = script.sandbox_filter(sb, w.filter, path .. ":" .. line)
      if not f then
        cfg_error(path, key_line(lines, "filter", line) or line, what
          .. ": 'filter' must be a filter (arxivdigest.filter) or a function(paper) (got " .. got .. ")")
      end
      wc.filter = f
    elseif kind == "library" then
      if type(w.library) ~= "string" or w.library == "" then
        cfg_error(path, key_line(lines, "library", line) or line, what .. ": 'library' must be a file name")
      end
      wc.library = expand(w.library, base)
    end
    if w.since ~= nil then
      if not is_date(w.since) then
        cfg_error(path, key_line(lines, "since", line) or line,
          format("%s: 'since' must be a day \"YYYY-MM-DD\" (got %s)", what, tostring(w.since)))
      end
      wc.since = w.since
    end
    if w.limit ~= nil then
      if not positive_int(w.limit) then
        cfg_error(path, key_line(lines, "limit", line) or line, what .. ": 'limit' must be a positive integer")
      end
      wc.limit = math.tointeger(w.limit)
    end
    cfg.watches[i] = wc
  end

  -- outputs
  cfg.outputs = {}
  if t.outputs ~= nil then
    if type(t.outputs) ~= "table" then
      cfg_error(path, key_line(lines, "outputs"), "'outputs' must be a list of outputs")
    end
    for k in pairs(t.outputs) do
      if math.type(k) ~= "integer" then
        cfg_error(path, key_line(lines, "outputs"), "'outputs' must be a list (found the key '" .. tostring(k) .. "')")
      end
    end
    local paths = {}
    for i, o in ipairs(t.outputs) do
      local line = item_line(lines, "outputs", i)
      if type(o) ~= "table" then cfg_error(path, line, format("output %d must be a table", i)) end
      local fmt = o.format
      if type(fmt) ~= "string" or not OUTPUT_KEYS[fmt] then
        cfg_error(path, key_line(lines, "format", line) or line, format("output %d: 'format' must be one of %s",
          i, concat(M.FORMATS, ", ")))
      end
      local what = format("output %d (%s)", i, fmt)
      local obad = unknown_keys(o, set_of(OUTPUT_KEYS[fmt]))
      if #obad > 0 then
        cfg_error(path, key_line(lines, obad[1], line) or line, format("unknown key%s %s in %s (known: %s)",
          #obad > 1 and "s" or "", "'" .. concat(obad, "', '") .. "'", what, concat(OUTPUT_KEYS[fmt], ", ")))
      end
      local oc = {format = fmt, line = line}
      for _, k in ipairs{"title", "id", "link", "from", "subject", "sendmail"} do
        if o[k] ~= nil then
          if not one_line_ok(o[k]) then
            cfg_error(path, key_line(lines, k, line) or line, format("%s: '%s' must be a one-line string", what, k))
          end
          oc[k] = o[k]
        end
      end
      if o.path ~= nil then
        if type(o.path) ~= "string" or o.path == "" then
          cfg_error(path, key_line(lines, "path", line) or line, what .. ": 'path' must be a file name")
        end
        oc.path = expand(o.path, base)
        if paths[oc.path] then cfg_error(path, line, what .. ": two outputs write " .. oc.path) end
        paths[oc.path] = true
      end
      if oc.path == nil and not (fmt == "email" and oc.sendmail) then
        cfg_error(path, line, what .. " needs a 'path'" .. (fmt == "email" and " or 'sendmail'" or ""))
      end
      if o.keep ~= nil then
        if not positive_int(o.keep) then
          cfg_error(path, key_line(lines, "keep", line) or line, what .. ": 'keep' must be a positive integer")
        end
      end
      oc.keep = math.tointeger(o.keep or M.DEFAULT_KEEP)
      if o.weeks ~= nil then
        if not positive_int(o.weeks) or o.weeks > 520 then
          cfg_error(path, key_line(lines, "weeks", line) or line, what .. ": 'weeks' must be a number of weeks")
        end
        oc.weeks = math.tointeger(o.weeks)
      end
      if fmt == "email" then
        local to = o.to ~= nil and string_list(o.to) or nil
        if o.to ~= nil and (not to or #to == 0) then
          cfg_error(path, key_line(lines, "to", line) or line, what .. ": 'to' must be an address or a list of them")
        end
        for _, a in ipairs(to or {}) do
          if not one_line_ok(a) or not a:find("@") then
            cfg_error(path, key_line(lines, "to", line) or line, what .. ": bad address '" .. tostring(a) .. "'")
          end
        end
        if oc.sendmail and not to then
          cfg_error(path, line, what .. ": 'sendmail' needs 'to' (sendmail -t reads the recipients from To:)")
        end
        if oc.from and not oc.from:find("@") then
          cfg_error(path, key_line(lines, "from", line) or line, what .. ": bad address '" .. oc.from .. "'")
        end
        oc.to = to
        oc.always = o.always and true or false
      end
      cfg.outputs[i] = oc
    end
  end
  return cfg
end

-- }======================================================

-- {======================================================
-- The state
-- =======================================================

local function empty_state(cfg)
  return {format = M.STATE_FORMAT, watchfile = cfg.abspath, run = 0, files = {}, watches = {}}
end

--- Reads the state of a configuration (an empty one when there is none).
-- The state is Lua data, read in a sandbox. Raises on a malformed file.
function M.read_state(cfg)
  if not file_exists(cfg.state) then return empty_state(cfg), false end
  -- our own data file: loaded as text in an empty environment (a sandbox
  -- costs three times more on a big state; nothing is reachable from here)
  local fh, ferr = io.open(cfg.state, "rb")
  if not fh then error(tostring(ferr), 0) end
  local src = fh:read("a") or ""
  fh:close()
  local chunk, lerr = load(src, "@" .. cfg.state, "t", {})
  if not chunk then error(cfg.state .. ": unreadable state (" .. tostring(lerr) .. ")", 0) end
  local ok, t = pcall(chunk)
  if not ok then error(cfg.state .. ": unreadable state (" .. tostring(t) .. ")", 0) end
  if type(t) ~= "table" or t.format ~= M.STATE_FORMAT or type(t.watches) ~= "table"
      or type(t.files) ~= "table" then
    error(cfg.state .. ": not a watch state of format " .. M.STATE_FORMAT, 0)
  end
  -- files: {key, hash, run, day} rows -> map
  local files = {}
  for _, row in ipairs(t.files) do
    if type(row) == "table" and type(row[1]) == "string" then
      files[row[1]] = {hash = row[2], run = tonumber(row[3]) or 0, day = row[4]}
    end
  end
  t.files = files
  local ws = {}
  for _, w in ipairs(t.watches) do
    if type(w) == "table" and type(w.name) == "string" then
      w.delivered = type(w.delivered) == "table" and w.delivered or {}
      ws[w.name] = w
      ws[#ws + 1] = w
    end
  end
  t.watches = ws
  t.run = tonumber(t.run) or 0
  return t, true
end

local function q(s) return format("%q", s) end

local function lua_value(v)
  if type(v) == "string" then return q(v) end
  if math.type(v) == "integer" then return tostring(v) end
  if type(v) == "number" then return format("%.17g", v) end
  if type(v) == "boolean" then return tostring(v) end
  return "nil"
end

local DELIVERY_KEYS = {"id", "v", "at", "day", "revised", "title", "doi", "journal", "why"}

--- The text of a state (Lua data, one line per file and per delivery).
function M.state_text(st)
  local out = {
    "-- arxivdigest watch state (format " .. M.STATE_FORMAT .. ") of " .. tostring(st.watchfile),
    "-- Written by 'arxivdigest watch run' at the end of each run, atomically. Edit with care;",
    "-- 'arxivdigest watch reset' forgets a watch.",
    "return {",
    "  format = " .. M.STATE_FORMAT .. ",",
    "  watchfile = " .. q(tostring(st.watchfile)) .. ",",
    "  run = " .. tostring(st.run) .. ",                 -- runs completed",
  }
  if st.at then out[#out + 1] = "  at = " .. q(st.at) .. ",   -- the last run (UTC)" end
  out[#out + 1] = "  -- every digest file of the archive: {path in the archive, content hash, run that first saw"
  out[#out + 1] = "  -- it (this content), digest day}"
  out[#out + 1] = "  files = {"
  local keys = {}
  for k in pairs(st.files) do keys[#keys + 1] = k end
  sort(keys)
  for _, k in ipairs(keys) do
    local f = st.files[k]
    out[#out + 1] = format("    {%s, %s, %d, %s},", q(k), q(tostring(f.hash or "")), f.run or 0,
      f.day and q(f.day) or "nil")
  end
  out[#out + 1] = "  },"
  out[#out + 1] = "  -- per watch: the run of its last delivery and every paper version it delivered"
  out[#out + 1] = "  watches = {"
  for _, w in ipairs(st.watches) do
    out[#out + 1] = "    {"
    out[#out + 1] = "      name = " .. q(w.name) .. ","
    if w.run then out[#out + 1] = "      run = " .. tostring(w.run) .. "," end
    if w.at then out[#out + 1] = "      at = " .. q(w.at) .. "," end
    if w.since then out[#out + 1] = "      since = " .. q(w.since) .. ",   -- the next run starts there" end
    out[#out + 1] = "      delivered = {"
    for _, d in ipairs(w.delivered) do
      local parts = {}
      for _, k in ipairs(DELIVERY_KEYS) do
        local v = d[k]
        if v ~= nil and v ~= false then parts[#parts + 1] = k .. " = " .. lua_value(v) end
      end
      out[#out + 1] = "        {" .. concat(parts, ", ") .. "},"
    end
    out[#out + 1] = "      },"
    out[#out + 1] = "    },"
  end
  out[#out + 1] = "  },"
  out[#out + 1] = "}"
  return concat(out, "\n") .. "\n"
end

local function write_state(cfg, st)
  local ok, err = mkdir_p(dirname(cfg.state))
  if not ok then return nil, err end
  local text = M.state_text(st)
  local half = floor(#text / 2)
  return output.atomic(cfg.state, function(write)
    write(text:sub(1, half))
    crash_point("state:half")
    write(text:sub(half + 1))
  end)
end

-- }======================================================

-- {======================================================
-- The archive: the saved index and the pending files
-- =======================================================

local Archive = {}
Archive.__index = Archive

-- the state's key of a digest file: its path inside its archive folder
-- (prefixed "N:" for the N-th folder when there are several)
local function file_key_fn(dirs)
  local prefixes = {}
  for i, d in ipairs(dirs) do prefixes[i] = d:gsub("/+$", "") .. "/" end
  local cache = {}
  return function(path)
    local k = cache[path]
    if k then return k end
    k = path
    for i, pre in ipairs(prefixes) do
      if path:sub(1, #pre) == pre then
        k = (#prefixes > 1 and (i .. ":") or "") .. path:sub(#pre + 1)
        break
      end
    end
    cache[path] = k
    return k
  end
end

--- Opens the archive of cfg: lists its files, loads the saved index and
-- indexes the files it lacks; updates (and, with opts.save, saves) the
-- saved index when it must (see the header). opts: save, full, log.
function M.open_archive(cfg, opts)
  opts = opts or {}
  local t0 = core.now()
  local listed, lerr = core.list(cfg.archive)
  if not listed then error(tostring(lerr), 0) end
  local base, info = nil, {}
  if file_exists(cfg.index) then
    local err
    base, err = ad.load(cfg.index)
    if not base then
      info.reason = "the saved index could not be read (" .. tostring(err) .. "): rebuilt"
    end
  end
  local pending, update = {}, false
  local base_files
  if base then
    local old = {}
    base_files = base:files()
    for _, f in ipairs(base_files) do old[f.path] = f end
    -- recheck: files indexed within seconds of a change (the index keeps
    -- no mtime for them, see ad_build.c): the update reads them again
    local changed, removed, recheck, seen = 0, 0, 0, {}
    for _, f in ipairs(listed) do
      local o = old[f.path]
      if not o then pending[#pending + 1] = f.path
      else
        seen[f.path] = true
        if o.size ~= f.size then changed = changed + 1
        elseif o.mtime ~= f.mtime then
          if o.mtime == 0 then recheck = recheck + 1 else changed = changed + 1 end
        end
      end
    end
    for p in pairs(old) do if not seen[p] then removed = removed + 1 end end
    if changed > 0 or removed > 0 or recheck > 0 then
      update = true
      -- (said from the update's own count once it ran: a file read again
      -- may turn out unchanged)
      info.reason = format("%d file%s changed, %d removed", changed + recheck,
        changed + recheck == 1 and "" or "s", removed)
      info.recount = true
    elseif #pending > cfg.pending then
      update = true
      info.reason = format("%d new files (more than pending = %d)", #pending, cfg.pending)
    elseif opts.full and (#pending > 0) then
      update = true
      info.reason = "asked for"
    end
  end
  if not base then
    if #listed == 0 then error(format("no digest file in %s", concat(cfg.archive, " ")), 0) end
    local err
    base, err = ad.index(#cfg.archive == 1 and cfg.archive[1] or cfg.archive)
    if not base then error(tostring(err), 0) end
    info.built = true
    info.reason = info.reason or "no saved index yet: built"
    pending = {}
    update = false
    if opts.save then
      local ok, mk = mkdir_p(dirname(cfg.index))
      if not ok then error(mk, 0) end
      local sok, serr = base:save(cfg.index)
      if not sok then error(tostring(serr), 0) end
      info.saved = true
    end
  elseif update then
    local sum, uerr = base:update(#cfg.archive == 1 and cfg.archive[1] or cfg.archive)
    if not sum then error(tostring(uerr), 0) end
    info.updated = sum
    if info.recount then
      local n, again = sum.changed or 0, sum.rechecked or 0
      local gone = sum.removed or 0
      if n == 0 and gone == 0 and again > 0 then
        info.reason = format("%d file%s indexed within seconds of a change read again: none changed",
          again, again == 1 and "" or "s")
      else
        info.reason = format("%d file%s changed, %d removed", n, n == 1 and "" or "s", gone)
        if again > 0 then
          info.reason = info.reason .. format(" (%d more read again: the same)", again)
        end
      end
    end
    info.recount = nil
    pending = {}
    if opts.save then
      local sok, serr = base:save(cfg.index)
      if not sok then error(tostring(serr), 0) end
      info.saved = true
    end
  end
  crash_point("archive")
  local delta
  if #pending > 0 then
    local err
    delta, err = ad.index(pending, {threads = 1})
    if not delta then error(tostring(err), 0) end
  end
  local key_of = file_key_fn(cfg.archive)
  local files, newest = {}, nil
  local function add_files(list, where)
    for _, f in ipairs(list) do
      local k = key_of(f.path)
      files[k] = {path = f.path, hash = f.hash, day = f.date, where = where, records = f.records}
      if f.date and (not newest or f.date > newest) then newest = f.date end
    end
  end
  if update or info.built then base_files = nil end     -- the index changed: list again
  add_files(base_files or base:files(), "index")
  if delta then add_files(delta:files(), "pending") end
  info.pending = #pending
  -- the archive's papers, each once: a paper of a pending file that the
  -- saved index holds too (listed again: a cross-list, a new version) is
  -- one paper, not two
  local papers = #base
  if delta then
    for p in delta:papers() do
      if not base:get(p.id) then papers = papers + 1 end
    end
  end
  info.papers = papers
  info.time = core.now() - t0
  return setmetatable({cfg = cfg, base = base, delta = delta, files = files, newest = newest,
    key_of = key_of, info = info, save = opts.save, log = opts.log or function() end}, Archive)
end

--- The file that keeps the recommendation model of cfg's saved index.
function M.model_path(cfg) return cfg.index .. ".model" end

-- The recommendation model of the saved index (idx:save_model), kept
-- beside it: read when it was made from this index, else built now (about
-- a second on 200,000 papers: the sample's statistics) and, unless the run
-- is dry, written for the runs to come. Once per run, for the library
-- watches; a model that cannot be written is built in memory all the same.
function Archive:recommend_model()
  if self.model then return end
  local path = M.model_path(self.cfg)
  local ok, why = self.base:load_model(path)
  if ok then self.model = "read"; return end
  self.model = "built"
  if not self.save then return end
  local sok, serr = self.base:save_model(path)
  if sok then
    self.model = "built and saved"
    self.log("recommendation model: " .. tostring(why):gsub("^.*: ", "") .. ": built, saved as " .. path)
    crash_point("model")
  else
    self.log("recommendation model: built, not saved (" .. tostring(serr) .. ")")
  end
end

-- the entries of id in the two indexes (either may be nil)
function Archive:entries(id)
  local b = self.base:get(id)
  local d = self.delta and self.delta:get(id) or nil
  return b, d
end

-- every appearance of an entry pair: { {key=, date=, version=}, ... }
function Archive:appearances(b, d)
  local out = {}
  for k = 1, 2 do
    local e = k == 1 and b or d
    if e then
      for _, a in ipairs(e.appearances) do
        out[#out + 1] = {key = self.key_of(a.source), date = a.date, version = a.version}
      end
    end
  end
  return out
end

local function vnum(v) return math.tointeger(v) or 1 end

local PAPER_FIELDS = {"id", "version", "title", "authors", "abstract", "categories", "primary_category",
  "pdf_url", "abs_url", "doi", "comment", "journal", "published", "updated", "date", "format"}

--- A plain table for an entry pair: the fields of the entry with the
-- highest version (the pending one on a tie: it is newer), DOI and
-- journal from either, first_seen/last_seen over both.
function Archive.paper(_, b, d)
  local shown, other = b, d
  if d and (not b or vnum(d.version) >= vnum(b.version)) then shown, other = d, b end
  if not shown then return nil end
  local p = {}
  for _, k in ipairs(PAPER_FIELDS) do p[k] = shown[k] end
  if other then
    if p.doi == nil then p.doi = other.doi end
    if p.journal == nil then p.journal = other.journal end
    local cats, seen = {}, {}
    for _, e in ipairs{shown, other} do
      for _, c in ipairs(e.categories or {}) do
        if not seen[c] then seen[c] = true; cats[#cats + 1] = c end
      end
    end
    p.categories = cats
  end
  local fs, ls
  for k = 1, 2 do
    local e = k == 1 and b or d
    if e then
      local f, l = e.first_seen, e.last_seen
      if f and (not fs or f < fs) then fs = f end
      if l and (not ls or l > ls) then ls = l end
    end
  end
  p.first_seen, p.last_seen = fs, ls
  return p
end

-- the date scope tree of a set of days: an OR of the days (the index's
-- search sets an OR's dates into one bitmap), nil for none
local function dates_tree(days)
  local list = {}
  for d in pairs(days) do list[#list + 1] = d end
  if #list == 0 then return nil end
  sort(list)
  local node = {type = "or"}
  for _, d in ipairs(list) do node[#node + 1] = {type = "date", from = d, to = d} end
  if #node == 1 then return node[1] end
  return node
end

local function and_tree(a, b)
  if not a then return b end
  if not b then return a end
  return {type = "and", a, b}
end

-- every hit of tree in idx (all of them, by score)
local function search_all(idx, tree)
  local n = idx:count(tree)
  if n == 0 then return {} end
  return idx:search(tree, {limit = n})
end

-- }======================================================

-- {======================================================
-- Watches: candidates, matching, why
-- =======================================================

-- the leaves of a query tree that are not under a NOT
local function positive_leaves(node, out, neg)
  out = out or {}
  local t = node.type
  if t == "and" or t == "or" then
    for i = 1, #node do positive_leaves(node[i], out, neg) end
  elseif t == "not" then
    positive_leaves(node[1], out, not neg)
  elseif not neg and t ~= "all" then
    out[#out + 1] = node
  end
  return out
end

local FIELD_NAMES = {ti = "title", abs = "abstract", au = "authors", co = "comment"}

-- why a paper matched a query: the positive terms it holds, and where
local function why_query(tree, paper)
  local lines = {}
  for _, leaf in ipairs(positive_leaves(tree)) do
    local t = leaf.type
    if t == "term" or t == "phrase" then
      local where = {}
      local fields = leaf.field and {leaf.field} or {"ti", "abs", "au", "co"}
      for _, f in ipairs(fields) do
        local probe = {type = t, text = leaf.text, field = f, prefix = leaf.prefix}
        local ok, hit = pcall(function() return match.compile(probe)(paper) end)
        if ok and hit then where[#where + 1] = FIELD_NAMES[f] end
      end
      if #where > 0 then
        local shown = t == "phrase" and ('"' .. leaf.text .. '"') or (leaf.text .. (leaf.prefix and "*" or ""))
        lines[#lines + 1] = format("%s in the %s", shown, concat(where, ", "))
      end
    else
      local ok, hit = pcall(function() return match.compile(leaf)(paper) end)
      if ok and hit then
        local okf, txt = pcall(query.format, leaf)
        lines[#lines + 1] = okf and txt or t
      end
    end
  end
  return lines
end

-- the tree that narrows an authors watch in the index: any of the
-- surnames (their words, in the authors field); the author rule decides
local function authors_tree(list)
  local node = {type = "or"}
  for _, n in ipairs(list) do
    local p = names.parse(n)
    if p then
      local parts = {type = "and"}
      for w in p.last:gmatch("[^%s%-]+") do
        parts[#parts + 1] = {type = "term", text = w, field = "au"}
      end
      if #parts == 1 then node[#node + 1] = parts[1] elseif #parts > 1 then node[#node + 1] = parts end
    end
  end
  if #node == 0 then return nil end
  if #node == 1 then return node[1] end
  return node
end

-- A watch's matcher: {tree = (narrowing tree, exact when fn is nil),
-- fn = function(paper) -> bool (nil: the tree decides), why = function(paper, hit) -> lines}
local function matcher(w)
  if w.kind == "query" then
    local ok, tree = pcall(query.parse, w.query)
    if not ok then error(format("bad query '%s': %s", w.query, tostring(tree)), 0) end
    return {tree = tree, ranked = true, why = function(p, hit)
      local lines = why_query(tree, p)
      if hit then
        local okp, snip = pcall(hit.snippet, hit, {open = "\u{ab}", close = "\u{bb}"})
        if okp and type(snip) == "string" and snip:find("\u{ab}", 1, true) then
          lines[#lines + 1] = snip
        end
      end
      return lines
    end}
  elseif w.kind == "authors" then
    local ok, f = pcall(filter.authors, w.authors)
    if not ok then error(tostring(f):gsub("^bad argument #1 to 'authors' %((.*)%)$", "authors: %1"), 0) end
    return {tree = authors_tree(w.authors), fn = function(p) return f(p) end, why = function(p)
      return f.why(p)
    end}
  elseif w.kind == "filter" then
    local f = w.filter
    if f.tree then
      return {tree = f.tree, ranked = true, why = function(p)
        local lines = why_query(f.tree, p)
        insert(lines, 1, "filter " .. tostring(f.desc))
        return lines
      end}
    end
    -- f.narrow: the parts of an AND that have a tree (every paper f keeps
    -- matches it): the index runs it, the sandbox decides on its hits
    return {tree = f.narrow, fn = function(p) return f(p) end, why = function(p)
      local lines = f.narrow and why_query(f.narrow, p) or {}
      insert(lines, 1, "filter " .. tostring(f.desc))
      return lines
    end}
  elseif w.kind == "library" then
    -- recommendations (idx:recommend): every paper in scope is a candidate
    -- (no narrowing tree); the new ones are ranked against the library
    -- with the saved index's model, those of the pending files beside its
    -- own (see compute_watch); the why is the recommendation's evidence
    local lib, err = ad.library(w.library)
    if not lib then error("cannot read the library: " .. tostring(err), 0) end
    return {library = lib, ranked = true, why = function(_, hit)
      local lines = {}
      local rec = hit and hit.rec
      if not rec then return lines end
      local ev = rec:why()
      for i, x in ipairs(ev.papers) do
        if i > 3 then break end
        lines[#lines + 1] = format("like %s (%s)", tostring(x.paper.title), tostring(x.paper.id))
      end
      if #ev.terms > 0 then
        lines[#lines + 1] = "terms: " .. concat(ev.terms, ", ", 1, #ev.terms < 6 and #ev.terms or 6)
      end
      return lines
    end}
  end
  error("unknown watch kind " .. tostring(w.kind), 0)
end

-- the changes between what a watch delivered (d) and the paper now (p);
-- apps: the appearances of the entries b, dl (Archive:appearances)
local function changes(d, p, b, dl, apps)
  local out = {}
  local v0, v1 = vnum(d.v), vnum(p.version)
  local day
  for k = 1, 2 do
    local e = k == 1 and b or dl
    if e then
      for _, h in ipairs(e.history) do
        if h.event == "version" and h.version == v1 then day = h.date end
      end
    end
  end
  -- a new version first listed in a pending file is that file's paper's
  -- first appearance (no "version" event): the day of its first listing
  if not day then
    for _, a in ipairs(apps or {}) do
      if vnum(a.version) >= v1 and a.date and (not day or a.date < day) then day = a.date end
    end
  end
  out[#out + 1] = format("new version v%d (was v%d)%s", v1, v0, day and (", listed " .. day) or "")
  if p.doi and p.doi ~= d.doi then
    out[#out + 1] = (d.doi and "DOI changed: " or "DOI: ") .. tostring(p.doi)
  end
  if p.journal and p.journal ~= d.journal then
    out[#out + 1] = (d.journal and "journal reference changed: " or "journal reference: ") .. tostring(p.journal)
  end
  return out, day
end

-- the state's latest delivery of each id of a watch: id -> delivery
local function delivered_map(ws)
  local m = {}
  for _, d in ipairs(ws and ws.delivered or {}) do
    local prev = m[d.id]
    if not prev or vnum(d.v) >= vnum(prev.v) then m[d.id] = d end
  end
  return m
end

-- A watch's deliveries for this run. Returns {new = {items}, revised =
-- {items}, more = n, first = bool, from = day}.
local function compute_watch(A, w, ws, files_now)
  local m = matcher(w)
  -- a library's malformed entries (skipped) are said, with their file
  -- and line, as `recommend --library` says them
  if m.library then
    for _, msg in ipairs(m.library:warnings()) do A.log(format("%s: %s", w.name, msg)) end
  end
  local res = {new = {}, revised = {}, more = 0}
  local delivered = delivered_map(ws)
  local first = not (ws and ws.run)
  res.first = first
  local candidates = {}      -- id -> {b=, d=, hit=, score=}
  local order = {}
  local function add(id, b, d, hit)
    local c = candidates[id]
    if not c then
      c = {id = id}
      candidates[id] = c
      order[#order + 1] = c
    end
    c.b = c.b or b
    c.d = c.d or d
    if hit and (not c.hit or (hit.score or 0) > (c.hit.score or 0)) then c.hit = hit end
  end
  -- the saved index is searched in the days of the scope; the pending
  -- index (a few files) whole, so that a file spanning several days is
  -- covered too: the appearances decide what is new
  local function gather(base_tree, delta_tree)
    if base_tree then
      for _, h in ipairs(search_all(A.base, base_tree)) do add(h.paper.id, h.paper, nil, h) end
    end
    if A.delta and delta_tree then
      for _, h in ipairs(search_all(A.delta, delta_tree)) do add(h.paper.id, nil, h.paper, h) end
    end
  end
  local from, scope, base_scoped
  if first then
    from = (ws and ws.since) or w.since or A.newest
    res.from = from
    if not from then return res end
    scope = {type = "date", from = from, to = "9999-12-31"}
    base_scoped = true
  else
    -- the files this watch has not seen: the days of those in the saved index
    local days, any, in_base = {}, false, false
    for k, f in pairs(files_now) do
      if f.run > ws.run then
        any = true
        local af = A.files[k]
        if af and af.where == "index" then
          in_base = true
          if f.day then days[f.day] = true end
        end
      end
    end
    if not any then return res end
    scope = dates_tree(days)
    base_scoped = in_base and scope ~= nil
  end
  -- matching papers in scope (the narrowing tree; fn decides when given)
  gather(base_scoped and and_tree(m.tree, scope) or nil, m.tree or {type = "all"})
  -- revisions: delivered papers listed again in scope
  local rev_scope = {}
  if not first and next(delivered) then
    local seen_ids = {}
    local function consider(id)
      if delivered[id] and not seen_ids[id] then
        seen_ids[id] = true
        rev_scope[#rev_scope + 1] = id
      end
    end
    if base_scoped then
      for _, h in ipairs(search_all(A.base, scope)) do consider(h.paper.id) end
    end
    if A.delta then
      for p in A.delta:papers() do consider(p.id) end
    end
  end
  -- fill both entries of each candidate, check newness, match
  local news = {}
  for _, c in ipairs(order) do
    local b, d = A:entries(c.id)
    c.b, c.d = b, d
    local isnew
    local apps = A:appearances(b, d)
    if first then
      local fs
      for _, a in ipairs(apps) do if not fs or a.date < fs then fs = a.date end end
      isnew = fs ~= nil and fs >= from
    else
      isnew = #apps > 0
      for _, a in ipairs(apps) do
        local f = files_now[a.key]
        if not f or f.run <= ws.run then isnew = false; break end
      end
    end
    if isnew and not delivered[c.id] then
      local p = A:paper(b, d)
      if p and (not m.fn or m.fn(p)) then
        c.paper = p
        news[#news + 1] = c
      end
    end
  end
  if m.library and #news > 0 then
    -- one recommendation of exactly the new papers, each as the entry
    -- A:paper shows (of the saved index, or of the pending files: ranked
    -- beside them with the saved index's model and statistics, no merge);
    -- library papers are never recommended
    A:recommend_model()
    local list = {}
    for _, c in ipairs(news) do
      list[#list + 1] = (c.d and (not c.b or vnum(c.d.version) >= vnum(c.b.version))) and c.d or c.b
    end
    local ok, hits = pcall(A.base.recommend, A.base, m.library, {candidates = list, limit = #list})
    if not ok then error(tostring(hits):gsub("^bad argument #%d+ to 'recommend' %((.*)%)$", "%1"), 0) end
    local by_id = {}
    for _, h in ipairs(hits) do by_id[h.paper.id] = h end
    local kept = {}
    for _, c in ipairs(news) do
      local h = by_id[c.id]
      if h then
        c.hit = {score = h.score, rec = h}
        kept[#kept + 1] = c
      end
    end
    news = kept
  end
  if m.ranked then
    sort(news, function(x, y)
      local sx, sy = x.hit and x.hit.score or 0, y.hit and y.hit.score or 0
      if sx ~= sy then return sx > sy end
      return x.id > y.id
    end)
  else
    sort(news, function(x, y)
      local dx, dy = x.paper.date or "", y.paper.date or ""
      if dx ~= dy then return dx > dy end
      return x.id > y.id
    end)
  end
  for i, c in ipairs(news) do
    if i > w.limit then res.more = #news - w.limit; break end
    local p = c.paper
    res.new[#res.new + 1] = {kind = "new", id = c.id, version = p.version, paper = p,
      why = m.why(p, c.hit), score = c.hit and c.hit.score or nil, day = p.first_seen or p.date}
  end
  -- revisions
  for _, id in ipairs(rev_scope) do
    local b, d = A:entries(id)
    local p = A:paper(b, d)
    local dv = delivered[id]
    if p and vnum(p.version) >= 2 and vnum(p.version) > vnum(dv.v) then
      -- the new version must be listed in a file this watch has not seen
      local fresh = false
      local apps = A:appearances(b, d)
      for _, a in ipairs(apps) do
        local f = files_now[a.key]
        if f and f.run > ws.run and vnum(a.version) >= vnum(p.version) then fresh = true end
      end
      if fresh then
        local what, day = changes(dv, p, b, d, apps)
        res.revised[#res.revised + 1] = {kind = "revised", id = id, version = p.version, paper = p,
          why = {dv.why or "delivered before"}, changes = what, day = day or p.last_seen or p.date,
          before = dv.v}
      end
    end
  end
  sort(res.revised, function(x, y) return x.id > y.id end)
  return res
end

-- }======================================================

-- {======================================================
-- Runs
-- =======================================================

-- the new file table: every listed file with the run that first saw its
-- content (kept from the state when the hash is the same)
local function files_now_of(A, st, run)
  local out = {}
  for k, f in pairs(A.files) do
    local old = st.files[k]
    local r = (old and old.hash == f.hash) and old.run or run
    out[k] = {hash = f.hash, run = r, day = f.day}
  end
  return out
end

local function short(s, n)
  s = tostring(s or ""):gsub("[%z\1-\31\127]", " "):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  if #s > n then
    local cut = n
    while cut > 0 and s:byte(cut + 1) and s:byte(cut + 1) >= 0x80 and s:byte(cut + 1) < 0xC0 do cut = cut - 1 end
    s = s:sub(1, cut) .. "\u{2026}"
  end
  return s
end

-- Takes the watch file's lock (waits for it unless opts.no_wait): the lock,
-- or an error naming who holds it.
local function take_lock(cfg, opts)
  local ok, err = mkdir_p(dirname(cfg.lock))
  if not ok then error(err, 0) end
  local lk, holder = core.lock(cfg.lock, not opts.no_wait)
  if lk == false then
    error(format("another run holds the lock %s (%s): not waiting (--no-wait)", cfg.lock, tostring(holder)), 0)
  elseif not lk then
    error(tostring(holder), 0)
  end
  return lk
end

--- Computes (and, unless opts.dry, delivers and records) a run.
-- opts: dry (compute only: no index save, no output, no state), only (a
-- watch name), full (bring the saved index up to date), now (epoch
-- seconds), no_wait (fail at once when another run holds the lock), log
-- (function(msg) for progress notes).
-- Returns the report: {watches = { {name=, kind=, new=, revised=, more=,
-- error=} }, outputs = { {format=, path=, error=, sent=} }, failed = n,
-- archive = info, state = new state, run = n, at = "..."}.
function M.run(cfg, opts)
  opts = opts or {}
  local log = opts.log or function() end
  local lock
  if not opts.dry then
    lock = take_lock(cfg, opts)
    crash_point("locked")
  end
  local ok, report = pcall(M._run_locked, cfg, opts, log)
  if lock then lock:unlock() end
  if not ok then error(report, 0) end
  return report
end

-- Removes the temporary files a killed run left beside the state and the
-- outputs (arxivdigest.output writes "dir/.name.<digits>.tmp" and renames
-- it): under the lock, nobody else writes them.
local function remove_leftovers(cfg)
  local pats = {}
  local function add(path)
    local dir, name = path:match("^(.*)/([^/]+)$")
    if dir then pats[#pats + 1] = shell_quote(dir .. "/." .. name .. ".") .. "[0-9]*.tmp" end
  end
  add(cfg.state)
  add(M.model_path(cfg))
  for _, o in ipairs(cfg.outputs) do if o.path then add(o.path) end end
  os.execute("rm -f -- " .. concat(pats, " ") .. " 2>/dev/null")
end

function M._run_locked(cfg, opts, log)
  local times, tick = {}, core.now()
  local function lap(name)
    local t = core.now()
    times[#times + 1] = {name, t - tick}
    tick = t
  end
  if not opts.dry then remove_leftovers(cfg) end
  local st = M.read_state(cfg)
  lap("state read")
  local now = opts.now or os.time()
  local at = iso(now)
  local A = M.open_archive(cfg, {save = not opts.dry, full = opts.full, log = log})
  if A.info.reason then log("index: " .. A.info.reason) end
  lap("archive")
  local run = st.run + 1
  local files_now = files_now_of(A, st, run)
  local report = {watches = {}, outputs = {}, failed = 0, archive = A.info, run = run, at = at, now = now,
    newest = A.newest, cfg = cfg, archive_view = A, times = times}
  local results = {}
  for _, w in ipairs(cfg.watches) do
    if not opts.only or opts.only == w.name then
      local ws = st.watches[w.name]
      local okw, res = pcall(compute_watch, A, w, ws, files_now)
      local r = {name = w.name, kind = w.kind, watch = w}
      if okw then
        r.new, r.revised, r.more, r.first, r.from = res.new, res.revised, res.more, res.first, res.from
      else
        r.error = tostring(res)
        r.new, r.revised, r.more = {}, {}, 0
        report.failed = report.failed + 1
      end
      results[#results + 1] = r
    end
  end
  report.watches = results
  -- the new state
  local ns = {format = M.STATE_FORMAT, watchfile = cfg.abspath, run = run, at = at, files = files_now,
    watches = {}}
  local done = {}
  for _, r in ipairs(results) do done[r.name] = r end
  local function carry(w)          -- a watch's state, with this run's deliveries
    local old = st.watches[w.name]
    local r = done[w.name]
    if not r or r.error then return old end
    local nw = {name = w.name, run = run, at = at, delivered = {}}
    for _, d in ipairs(old and old.delivered or {}) do nw.delivered[#nw.delivered + 1] = d end
    for _, list in ipairs{r.new, r.revised} do
      for _, it in ipairs(list) do
        local p = it.paper
        nw.delivered[#nw.delivered + 1] = {id = it.id, v = math.tointeger(p.version), at = at, day = it.day,
          revised = it.kind == "revised" or nil, title = short(p.title, 200), doi = p.doi and short(p.doi, 200),
          journal = p.journal and short(p.journal, 200), why = short(concat(it.why or {}, "; "), 200)}
      end
    end
    return nw
  end
  local listed = {}
  for _, w in ipairs(cfg.watches) do
    local nw = carry(w)
    if nw then ns.watches[#ns.watches + 1] = nw; listed[w.name] = true end
  end
  for _, old in ipairs(st.watches) do           -- watches no longer in the file: kept
    if not listed[old.name] then ns.watches[#ns.watches + 1] = old end
  end
  for _, w in ipairs(ns.watches) do ns.watches[w.name] = w end
  report.state = ns
  lap("watches")
  crash_point("computed")
  if opts.dry then return report end
  -- outputs
  local render = require "arxivdigest.watch.render"
  for i, o in ipairs(cfg.outputs) do
    local orep = {format = o.format, path = o.path, sendmail = o.sendmail}
    local okr, err = pcall(render.deliver, o, report, i)
    if okr and type(err) == "table" then
      for k, v in pairs(err) do orep[k] = v end
    elseif not okr then
      orep.error = tostring(err)
    end
    if orep.error then report.failed = report.failed + 1 end
    report.outputs[#report.outputs + 1] = orep
    lap("output " .. o.format)
  end
  -- the state, last (not when an output failed: the next run delivers again)
  local out_failed = false
  for _, o in ipairs(report.outputs) do if o.error then out_failed = true end end
  if out_failed then
    report.state_kept = true
    log("an output failed: the state is left as it was (the next run delivers these papers again)")
  else
    local sok, serr = write_state(cfg, ns)
    if not sok then error(tostring(serr), 0) end
    crash_point("state")
    lap("state write")
  end
  return report
end

--- What each watch would deliver now, and its record: a dry run plus the
-- state. Returns {report, state}.
function M.status(cfg, opts)
  opts = opts or {}
  local report = M.run(cfg, {dry = true, now = opts.now})
  local st = M.read_state(cfg)
  return report, st
end

--- Forgets what a watch (opts.watch) or every watch delivered; its next
-- run is a first run (the newest digest day, or opts.since). Takes the
-- lock. Returns the names reset.
function M.reset(cfg, opts)
  opts = opts or {}
  if opts.since ~= nil and not is_date(opts.since) then
    error(format("--since must be a day YYYY-MM-DD (got '%s')", tostring(opts.since)), 0)
  end
  local lk = take_lock(cfg, opts)
  local okr, res = pcall(function()
    local st = M.read_state(cfg)
    local known = {}
    for _, w in ipairs(cfg.watches) do known[w.name] = true end
    for _, w in ipairs(st.watches) do known[w.name] = true end
    if opts.watch and not known[opts.watch] then
      local list = {}
      for _, w in ipairs(cfg.watches) do list[#list + 1] = w.name end
      error(format("no watch named '%s' (watches: %s)", opts.watch, concat(list, ", ")), 0)
    end
    local names_reset = {}
    local ns = {format = M.STATE_FORMAT, watchfile = cfg.abspath, run = st.run, at = st.at, files = st.files,
      watches = {}}
    local present = {}
    for _, w in ipairs(st.watches) do present[w.name] = w end
    local order = {}
    for _, w in ipairs(cfg.watches) do order[#order + 1] = w.name end
    for _, w in ipairs(st.watches) do
      local inf = false
      for _, n in ipairs(order) do if n == w.name then inf = true end end
      if not inf then order[#order + 1] = w.name end
    end
    for _, name in ipairs(order) do
      if not opts.watch or opts.watch == name then
        names_reset[#names_reset + 1] = name
        ns.watches[#ns.watches + 1] = {name = name, since = opts.since, delivered = {}}
      elseif present[name] then
        ns.watches[#ns.watches + 1] = present[name]
      end
    end
    local sok, serr = write_state(cfg, ns)
    if not sok then error(tostring(serr), 0) end
    return names_reset
  end)
  lk:unlock()
  if not okr then error(res, 0) end
  return res
end

-- }======================================================

return M
