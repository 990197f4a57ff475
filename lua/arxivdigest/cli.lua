--- The `arxivdigest` command.
--
--   local cli = require "arxivdigest.cli"
--   os.exit(cli.main(arg))
--
-- cli.main(argv, io_like) returns the exit status: 0 success, 1 nothing found
-- (or a runtime error), 2 usage error. io_like (optional) has stdout and
-- stderr with a write method (io.stdout / io.stderr by default).

local type, error, ipairs, pairs, pcall, tostring, tonumber, select, setmetatable =
      type, error, ipairs, pairs, pcall, tostring, tonumber, select, setmetatable
local format, concat, sort = string.format, table.concat, table.sort

local M = {}

-- {======================================================
-- Argument parsing
-- =======================================================

local UsageError = {}
UsageError.__index = UsageError
UsageError.__tostring = function(e) return e.msg end

local function usage_error(msg) error(setmetatable({msg = msg}, UsageError), 0) end

local COMMON = {
  {long = "help", short = "h", doc = "show this help"},
  {long = "index", short = "i", value = "FILE", doc = "read a saved index (*.adx) instead of digest files"},
  {long = "output", short = "o", value = "FILE", doc = "write to FILE (atomically) instead of stdout"},
  {long = "format", short = "f", value = "FMT",
   doc = "output format: text, markdown, jsonl, csv, bibtex, html, atom, or a template \"{id} {title}\""},
  {long = "limit", short = "n", value = "N", doc = "at most N papers"},
  {long = "no-progress", doc = "never show a progress bar"},
}

local COMMANDS = {
  search = {
    synopsis = "search QUERY [PATH...]",
    doc = "Papers matching QUERY (the query language: terms, \"phrases\", AND OR NOT -x, ti: abs: au: co:,\n"
      .. "cat: primary: id: date:2020-05 year:2019 has:code v:2+), best first.\n"
      .. "Exit status 1 when nothing matches.",
    args = {"QUERY"},
    options = {{long = "sort", value = "score|date", doc = "order of the results (default score)"},
               {long = "offset", value = "N", doc = "skip the first N results"}},
    example = "arxivdigest search 'segmentation -survey cat:cs.CV' --limit 5",
  },
  show = {
    synopsis = "show ID [PATH...]",
    doc = "One paper by arXiv id (with or without version). Exit status 1 when it is not there.",
    args = {"ID"},
    example = "arxivdigest show 2005.09623",
  },
  export = {
    synopsis = "export --to FORMAT [PATH...]",
    doc = "Every record of the input in one format (jsonl, csv, bibtex, markdown, html, atom, text).",
    options = {{long = "to", short = "t", value = "FORMAT", doc = "output format (required)"}},
    example = "arxivdigest export --to jsonl examples/data/ -o all.jsonl",
  },
  filter = {
    synopsis = "filter SCRIPT [PATH...]",
    doc = "Papers kept by a filter script (a Lua file returning a filter or a function(paper)).",
    args = {"SCRIPT"},
    options = {{long = "sandbox", doc = "run the script without io/os/require... and with a budget"},
               {long = "explain", doc = "print why each kept paper matched (on stderr)"},
               {long = "max-instructions", value = "N", doc = "sandbox instruction budget"},
               {long = "max-memory", value = "MB", doc = "sandbox memory budget in MiB"}},
    example = "arxivdigest filter examples/filters/code-release.lua --sandbox",
  },
  report = {
    synopsis = "report SCRIPT [PATH...]",
    doc = "Run a report script (a Lua file returning a pipeline or a function(ad, args)).\n"
      .. "args.source is the input as a pipeline; --arg KEY=VALUE adds args.KEY.",
    args = {"SCRIPT"},
    options = {{long = "sandbox", doc = "run the script without io/os/require... and with a budget"},
               {long = "arg", short = "a", value = "KEY=VALUE", multi = true, doc = "pass args.KEY = VALUE"},
               {long = "max-instructions", value = "N", doc = "sandbox instruction budget"},
               {long = "max-memory", value = "MB", doc = "sandbox memory budget in MiB"}},
    example = "arxivdigest report examples/reports/daily.lua -o daily.md",
  },
  stats = {
    synopsis = "stats [PATH...]",
    doc = "Counts: papers, records, by day, by primary category, top authors.",
    options = {{long = "top", value = "N", doc = "rows per table (default 10)"}},
    example = "arxivdigest stats",
  },
  similar = {
    synopsis = "similar ID [PATH...]",
    doc = "Papers most similar to one (tf-idf cosine over title and abstract).",
    args = {"ID"},
    example = "arxivdigest similar 2005.09623 --limit 5",
  },
  index = {
    synopsis = "index build|update|info [PATH...]",
    doc = "build: index the input and save it (-o FILE, default archive.adx).\n"
      .. "update: bring the index -i FILE up to date with PATHs (reads new and changed files only) and save it.\n"
      .. "info: describe the index -i FILE.",
    args = {"ACTION"},
    example = "arxivdigest index build examples/data/ -o archive.adx",
  },
}

local ORDER = {"search", "show", "export", "filter", "report", "stats", "similar", "index"}

local function all_options(cmd)
  local opts = {}
  for _, o in ipairs(COMMON) do opts[#opts + 1] = o end
  for _, o in ipairs(cmd and COMMANDS[cmd].options or {}) do opts[#opts + 1] = o end
  return opts
end

--- Parses argv for a command: returns options table and positional list.
-- Raises a usage error for unknown options or missing values.
local function parse_args(cmd, argv, first)
  local specs = all_options(cmd)
  local by_long, by_short = {}, {}
  for _, s in ipairs(specs) do
    by_long[s.long] = s
    if s.short then by_short[s.short] = s end
  end
  local opts, pos = {}, {}
  local i = first
  local where = cmd and ("'" .. cmd .. "'") or "arxivdigest"
  local see = cmd and ("arxivdigest " .. cmd .. " --help") or "arxivdigest --help"
  local function set(spec, value)
    local key = spec.long
    if spec.multi then
      opts[key] = opts[key] or {}
      opts[key][#opts[key] + 1] = value
    else
      opts[key] = value
    end
  end
  while i <= #argv do
    local a = argv[i]
    if a == "--" then
      for k = i + 1, #argv do pos[#pos + 1] = argv[k] end
      break
    elseif a:sub(1, 2) == "--" then
      local name, value = a:match("^%-%-([^=]+)=(.*)$")
      name = name or a:sub(3)
      local spec = by_long[name]
      if not spec then usage_error(format("unknown option '--%s' for %s (see %s)", name, where, see)) end
      if spec.value then
        if value == nil then
          i = i + 1
          value = argv[i]
          if value == nil then usage_error(format("option '--%s' needs a value (%s)", name, spec.value)) end
        end
        set(spec, value)
      else
        if value ~= nil then usage_error(format("option '--%s' takes no value", name)) end
        set(spec, true)
      end
    elseif a:sub(1, 1) == "-" and #a > 1 then
      local letter = a:sub(2, 2)
      local spec = by_short[letter]
      if not spec then usage_error(format("unknown option '-%s' for %s (see %s)", letter, where, see)) end
      if spec.value then
        local value = a:sub(3)
        if value == "" then
          i = i + 1
          value = argv[i]
          if value == nil then
            usage_error(format("option '-%s' (--%s) needs a value (%s)", letter, spec.long, spec.value))
          end
        end
        set(spec, value)
      else
        if #a > 2 then usage_error(format("option '-%s' takes no value (in '%s')", letter, a)) end
        set(spec, true)
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return opts, pos
end
M.parse_args = parse_args

local function help_text(cmd)
  local out = {}
  local function opt_lines(list)
    for _, o in ipairs(list) do
      local left = (o.short and ("-" .. o.short .. ", ") or "    ") .. "--" .. o.long
        .. (o.value and (" " .. o.value) or "")
      out[#out + 1] = format("  %-28s %s", left, o.doc)
    end
  end
  if not cmd then
    out[#out + 1] = "usage: arxivdigest COMMAND [OPTIONS] [PATH...]"
    out[#out + 1] = ""
    out[#out + 1] = "Search, filter and report on archives of arXiv digests. Input: digest files or"
    out[#out + 1] = "folders (PATH...), a saved index (-i archive.adx), or, with neither, the bundled sample."
    out[#out + 1] = ""
    out[#out + 1] = "commands:"
    for _, name in ipairs(ORDER) do
      out[#out + 1] = format("  %-34s %s", COMMANDS[name].synopsis, (COMMANDS[name].doc:match("^[^\n]*")))
    end
    out[#out + 1] = ""
    out[#out + 1] = "options (every command):"
    opt_lines(COMMON)
    out[#out + 1] = ""
    out[#out + 1] = "Run 'arxivdigest COMMAND --help' for a command's options. Exit status: 0 success,"
    out[#out + 1] = "1 nothing found or an error, 2 usage error."
  else
    local c = COMMANDS[cmd]
    out[#out + 1] = "usage: arxivdigest " .. c.synopsis .. " [OPTIONS]"
    out[#out + 1] = ""
    out[#out + 1] = c.doc
    out[#out + 1] = ""
    out[#out + 1] = "options:"
    opt_lines(all_options(cmd))
    out[#out + 1] = ""
    out[#out + 1] = "example:"
    out[#out + 1] = "  " .. c.example
  end
  return concat(out, "\n") .. "\n"
end
M.help_text = help_text

-- }======================================================

-- {======================================================
-- Helpers
-- =======================================================

--- The bundled sample folder (ad.sample(): ARXIVDIGEST_SAMPLE, the
-- installed rock's sample/, or examples/data/ in a source tree).
function M.sample_dir()
  local dir, err = require("arxivdigest").sample()
  if not dir then error(err, 0) end
  return dir
end

local function isatty(fd)
  local ok = os.execute("test -t " .. fd)
  return ok == true
end

local clock = os.clock

-- Progress on stderr, only when stderr is a terminal (and --no-progress is
-- not given), and only once the work has taken more than a second.
--   bar = progress(ctx, "exporting", total); bar.step(); bar.done()
--   progress(ctx, ...).stage(label, fn, ...) runs fn and reports its duration
--   when it took more than a second
local function progress(ctx, label, total)
  local on = not ctx.no_progress and ctx.stderr == io.stderr and ctx.tty
  local t0 = clock()
  local shown, n, last = false, 0, 0
  local function draw()
    local width = 30
    local frac = total and total > 0 and n / total or 0
    local fill = math.floor(frac * width)
    io.stderr:write(format("\r%s [%s%s] %d%s %.1fs", label, ("#"):rep(fill), ("."):rep(width - fill), n,
      total and ("/" .. total) or "", clock() - t0))
  end
  return {
    step = function(k)
      if not on then return end
      n = n + (k or 1)
      local now = clock()
      if now - t0 > 1 and now - last > 0.1 then
        shown, last = true, now
        draw()
      end
    end,
    done = function()
      if shown then n = total or n; draw(); io.stderr:write("\n") end
    end,
    -- a single long call (parsing, indexing): announce it when the input is
    -- large enough to take a second, report its time when it did
    stage = function(big, fn, ...)
      if on and big then io.stderr:write(label, "...") end
      local r = table.pack(fn(...))
      local dt = clock() - t0
      if on and big then
        io.stderr:write(format("\r%s: done in %.1f s\n", label, dt))
      elseif on and dt > 1 then
        io.stderr:write(format("%s: done in %.1f s\n", label, dt))
      end
      return table.unpack(r, 1, r.n)
    end,
  }
end

-- Format options that advance a progress bar as the formatter reads the
-- papers (long exports on a terminal): returns opts, done
local function progress_opts(ctx, label)
  if not (not ctx.no_progress and ctx.stderr == io.stderr and ctx.tty) then return nil, function() end end
  local bar
  return {progress = function(i, n)
    bar = bar or progress(ctx, label, n)
    if i > 0 then bar.step() end
  end}, function() if bar then bar.done() end end
end

-- The input: a Collection (paths or sample) or an index (-i).
local function input(ctx, paths, want_index)
  local ad = require "arxivdigest"
  if ctx.opts.index then
    local idx, err = ad.load(ctx.opts.index)
    if not idx then error(tostring(err), 0) end
    return idx, "index"
  end
  if #paths == 0 then paths = {M.sample_dir()} end
  local c, err = progress(ctx, "reading " .. table.concat(paths, " ")).stage(false, ad.open,
    #paths == 1 and paths[1] or paths)
  if not c then error(tostring(err), 0) end
  if want_index then
    local idx = progress(ctx, ("indexing %d records"):format(#c)).stage(#c > 20000, ad.index, c)
    return idx, "index"
  end
  return c, "collection"
end

local function int_option(opts, name)
  local v = opts[name]
  if v == nil then return nil end
  local n = tonumber(v)
  if not n or n < 0 or n ~= math.floor(n) then
    usage_error(format("option '--%s' needs a non-negative integer, got '%s'", name, tostring(v)))
  end
  return math.tointeger(n)
end

-- Writes papers with the chosen format to -o FILE or stdout.
local function output(ctx, pipe, default_fmt, fmt_opts)
  local opts = ctx.opts
  local fmt = opts.format
  if not fmt and not opts.output then fmt = default_fmt end
  if not fmt and fmt_opts then  -- from the output file's extension
    fmt = require("arxivdigest.format").for_path(opts.output) or "text"
  end
  if fmt then
    local ok, err = pcall(pipe.format, pipe, fmt, fmt_opts)
    if not ok then usage_error((tostring(err):gsub("^.-bad argument #1 to 'format' %((.*)%)$", "%1"))) end
    pipe = err
  end
  if opts.output then
    local n, err = pipe:write(opts.output)
    if not n then error(tostring(err), 0) end
    return n
  end
  if ctx.stdout == io.stdout then return pipe:write(io.stdout) end
  return pipe:write(function(s) ctx.stdout:write(s) end)
end

local function budget_opts(ctx)
  local o = ctx.opts
  local t = {sandbox = o.sandbox and true or false}
  if o["max-instructions"] then
    local n = tonumber(o["max-instructions"])
    if not n or n <= 0 then usage_error("option '--max-instructions' needs a positive number") end
    t.max_instructions = n
  end
  if o["max-memory"] then
    local n = tonumber(o["max-memory"])
    if not n or n <= 0 then usage_error("option '--max-memory' needs a positive number of MiB") end
    t.max_memory = n * 1024 * 1024
  end
  return t
end

local function need_args(cmd, pos, n)
  local c = COMMANDS[cmd]
  if #pos < n then
    usage_error(format("'%s' needs %s (usage: arxivdigest %s)", cmd, c.args[#pos + 1], c.synopsis))
  end
end

-- }======================================================

-- {======================================================
-- Commands
-- =======================================================

local run = {}

function run.search(ctx, pos)
  need_args("search", pos, 1)
  local q = pos[1]
  local paths = {select(2, table.unpack(pos))}
  local limit = int_option(ctx.opts, "limit") or 10
  local offset = int_option(ctx.opts, "offset") or 0
  local sortby = ctx.opts.sort or "score"
  if sortby ~= "score" and sortby ~= "date" then
    usage_error("option '--sort' must be 'score' or 'date'")
  end
  local ad = require "arxivdigest"
  local okq, tree = pcall(require("arxivdigest.query").parse, q)
  if not okq then usage_error("bad query: " .. tostring(tree)) end
  local pipe = ad.from(input(ctx, paths, true)):query(tree)
  if sortby == "date" then pipe = pipe:sort("date", "desc") end
  pipe = pipe:limit(limit, offset)
  local n = output(ctx, pipe, "text")
  if n == 0 then
    ctx.stderr:write(format("arxivdigest: no paper matches '%s'\n", q))
    return 1
  end
  return 0
end

function run.show(ctx, pos)
  need_args("show", pos, 1)
  local id = pos[1]
  local paths = {select(2, table.unpack(pos))}
  local ad = require "arxivdigest"
  local src = input(ctx, paths)
  local filter = require "arxivdigest.filter"
  local pipe
  if type(src) == "userdata" and src.get and src.search then
    local p = src:get(id)
    pipe = ad.from(p and {p} or {})
  else
    pipe = ad.from(src):where(filter.id(id))
  end
  local n = output(ctx, pipe, "text")
  if n == 0 then
    ctx.stderr:write(format("arxivdigest: no paper with id '%s'\n", id))
    return 1
  end
  return 0
end

function run.export(ctx, pos)
  local to = ctx.opts.to or ctx.opts.format
  if not to then usage_error("'export' needs --to FORMAT (jsonl, csv, bibtex, markdown, html, atom, text)") end
  ctx.opts.format = to
  local ad = require "arxivdigest"
  local src = input(ctx, pos)
  local fmt_opts, done = progress_opts(ctx, "exporting")
  local pipe = ad.from(src)
  local limit = int_option(ctx.opts, "limit")
  if limit then pipe = pipe:limit(limit) end
  output(ctx, pipe, to, fmt_opts)
  done()
  return 0
end

function run.filter(ctx, pos)
  need_args("filter", pos, 1)
  local path = pos[1]
  local paths = {select(2, table.unpack(pos))}
  local script = require "arxivdigest.script"
  local bopts = budget_opts(ctx)
  local f, err = script.filter(path, bopts)
  if not f then error(tostring(err), 0) end
  local ad = require "arxivdigest"
  local pipe = ad.from(input(ctx, paths)):where(f)
  local limit = int_option(ctx.opts, "limit")
  if limit then pipe = pipe:limit(limit) end
  if ctx.opts.explain then
    ctx.stderr:write("filter: " .. tostring(f) .. "\n")
    for p in pipe:papers() do
      local _, lines = f:explain(p)
      ctx.stderr:write(format("%s %s\n", tostring(p.id), tostring(p.title)))
      for _, l in ipairs(lines) do ctx.stderr:write("  " .. l .. "\n") end
    end
  end
  local n = output(ctx, pipe, "text")
  if n == 0 then
    ctx.stderr:write("arxivdigest: the filter kept no paper\n")
    return 1
  end
  return 0
end

function run.report(ctx, pos)
  need_args("report", pos, 1)
  local path = pos[1]
  local paths = {select(2, table.unpack(pos))}
  local args = {argv = paths, today = os.date("!%Y-%m-%d")}
  for _, kv in ipairs(ctx.opts.arg or {}) do
    local k, v = kv:match("^([%w_]+)=(.*)$")
    if not k then usage_error(format("option '--arg' needs KEY=VALUE, got '%s'", kv)) end
    args[k] = v
  end
  local bopts = budget_opts(ctx)
  bopts.args = args
  bopts.source = input(ctx, paths, ctx.opts.index ~= nil)
  local script = require "arxivdigest.script"
  local pipe, err = script.report(path, bopts)
  if not pipe then error(tostring(err), 0) end
  local limit = int_option(ctx.opts, "limit")
  if limit then pipe = pipe:limit(limit) end
  output(ctx, pipe, nil)
  return 0
end

local function top(t, n)
  local list = {}
  for k, v in pairs(t) do list[#list + 1] = {k, v} end
  sort(list, function(a, b)
    if a[2] ~= b[2] then return a[2] > b[2] end
    return tostring(a[1]) < tostring(b[1])
  end)
  local out = {}
  for i = 1, math.min(n, #list) do out[i] = list[i] end
  return out
end

--- Counts over papers (Lua path, for collections).
local function collection_stats(c)
  local st = {papers = 0, records = #c, categories = {}, primary = {}, days = {}, months = {}, authors = {}}
  local seen = {}
  local function inc(t, k) if k then t[k] = (t[k] or 0) + 1 end end
  for p in c:papers() do
    local id = p.id
    if id and not seen[id] then
      seen[id] = true
      st.papers = st.papers + 1
      for _, cat in ipairs(p.categories or {}) do inc(st.categories, cat) end
      inc(st.primary, p.primary_category)
      for _, a in ipairs(p.authors or {}) do inc(st.authors, a) end
    end
    local d = p.date
    if d then inc(st.days, d); inc(st.months, d:sub(1, 7)) end
  end
  return st
end
M.collection_stats = collection_stats

function run.stats(ctx, pos)
  local n = int_option(ctx.opts, "top") or int_option(ctx.opts, "limit") or 10
  local src, kind = input(ctx, pos)
  local st = kind == "index" and src:stats() or collection_stats(src)
  local out = {}
  out[#out + 1] = format("papers   %d", st.papers)
  if st.records then out[#out + 1] = format("records  %d", st.records) end
  local function section(title, t, by_key)
    out[#out + 1] = ""
    out[#out + 1] = title
    local rows
    if by_key then
      rows = {}
      for k, v in pairs(t) do rows[#rows + 1] = {k, v} end
      sort(rows, function(a, b) return a[1] < b[1] end)
    else
      rows = top(t, n)
    end
    local max = 0
    for _, r in ipairs(rows) do if r[2] > max then max = r[2] end end
    for _, r in ipairs(rows) do
      local bar = ("#"):rep(max > 0 and math.max(1, math.floor(r[2] / max * 30)) or 0)
      out[#out + 1] = format("  %-32s %6d %s", tostring(r[1]), r[2], bar)
    end
  end
  section("by day", st.days, true)
  section("by primary category", st.primary)
  section("by category", st.categories)
  section("top authors", st.authors)
  local text = concat(out, "\n") .. "\n"
  if ctx.opts.output then
    -- atomically, like every other -o
    local path = ctx.opts.output
    local tmp = (path:match("^(.*)/") or ".") .. "/." .. path:match("[^/]*$") .. ".tmp" .. os.time()
    local fh, err = io.open(tmp, "wb")
    if not fh then error(tostring(err), 0) end
    local ok, werr = fh:write(text)
    fh:close()
    if not ok then os.remove(tmp); error(tostring(werr), 0) end
    local rok, rerr = os.rename(tmp, path)
    if not rok then os.remove(tmp); error(tostring(rerr), 0) end
  else
    ctx.stdout:write(text)
  end
  return 0
end

function run.similar(ctx, pos)
  need_args("similar", pos, 1)
  local id = pos[1]
  local paths = {select(2, table.unpack(pos))}
  local idx = input(ctx, paths, true)
  if not idx:get(id) then
    ctx.stderr:write(format("arxivdigest: no paper with id '%s'\n", id))
    return 1
  end
  local k = int_option(ctx.opts, "limit") or 10
  local hits = idx:similar(id, k)
  local papers = {}
  for i, h in ipairs(hits) do papers[i] = h.paper end
  local ad = require "arxivdigest"
  local n = output(ctx, ad.from(papers), "text")
  return n > 0 and 0 or 1
end

function run.index(ctx, pos)
  need_args("index", pos, 1)
  local action = pos[1]
  local paths = {select(2, table.unpack(pos))}
  local ad = require "arxivdigest"
  if action == "build" then
    if ctx.opts.index then usage_error("'index build' reads digest files, not -i (use 'index update')") end
    local out = ctx.opts.output or "archive.adx"
    local idx = input(ctx, paths, true)
    local ok, err = idx:save(out)
    if not ok then error(tostring(err), 0) end
    ctx.stderr:write(format("arxivdigest: indexed %d papers into %s\n", #idx, out))
    return 0
  elseif action == "update" then
    local file = ctx.opts.index
    if not file then usage_error("'index update' needs -i FILE (the saved index to update)") end
    if #paths == 0 then usage_error("'index update' needs the PATHs to re-read") end
    local idx, err = ad.load(file)
    if not idx then error(tostring(err), 0) end
    local sum, uerr = idx:update(#paths == 1 and paths[1] or paths)
    if not sum then error(tostring(uerr), 0) end
    local out = ctx.opts.output or file
    local ok, serr = idx:save(out)
    if not ok then error(tostring(serr), 0) end
    ctx.stderr:write(format("arxivdigest: %d files added, %d changed, %d removed, %d unchanged;"
      .. " %d read\narxivdigest: %s now holds %d papers\n", sum.added, sum.changed, sum.removed,
      sum.unchanged, sum.read, out, #idx))
    return 0
  elseif action == "info" then
    local file = ctx.opts.index
    if not file then usage_error("'index info' needs -i FILE") end
    local idx, err = ad.load(file)
    if not idx then error(tostring(err), 0) end
    local info = idx:info()
    local keys = {}
    for k in pairs(info) do keys[#keys + 1] = k end
    sort(keys)
    for _, k in ipairs(keys) do
      local v = info[k]
      if type(v) ~= "table" then ctx.stdout:write(format("%-12s %s\n", k, tostring(v))) end
    end
    return 0
  end
  usage_error(format("unknown index action '%s' (build, update or info)", tostring(action)))
end

-- }======================================================

--- Runs the command line `argv` (an array of strings; arg[0] ignored).
-- Returns the exit status.
function M.main(argv, streams)
  streams = streams or {}
  local ctx = {stdout = streams.stdout or io.stdout, stderr = streams.stderr or io.stderr}
  local list = {}
  for i = 1, #argv do list[i] = argv[i] end
  local ok, status = pcall(function()
    -- global options before the command
    local cmd_at
    for i, a in ipairs(list) do
      if a:sub(1, 1) ~= "-" then cmd_at = i; break end
      if a == "--" then break end
    end
    local cmd = cmd_at and list[cmd_at]
    if not cmd then
      local opts = parse_args(nil, list, 1)
      if opts.help or #list == 0 then
        ctx.stdout:write(help_text(nil))
        return #list == 0 and 2 or 0
      end
      usage_error("no command given (see arxivdigest --help)")
    end
    if not COMMANDS[cmd] then
      usage_error(format("unknown command '%s' (commands: %s)", cmd, concat(ORDER, ", ")))
    end
    local rest = {}
    for i = 1, #list do if i ~= cmd_at then rest[#rest + 1] = list[i] end end
    local opts, pos = parse_args(cmd, rest, 1)
    if opts.help then
      ctx.stdout:write(help_text(cmd))
      return 0
    end
    ctx.opts = opts
    ctx.no_progress = opts["no-progress"]
    ctx.tty = not opts["no-progress"] and ctx.stderr == io.stderr and isatty(2)
    return run[cmd](ctx, pos)
  end)
  if ok then return status end
  if getmetatable(status) == UsageError then
    ctx.stderr:write("arxivdigest: " .. status.msg .. "\n")
    return 2
  end
  local msg = tostring(status)
  ctx.stderr:write("arxivdigest: " .. msg .. "\n")
  return 1
end

return M
