--- The `arxivdigest` command.
--
--   local cli = require "arxivdigest.cli"
--   os.exit(cli.main(arg))
--
-- cli.main(argv, io_like) returns the exit status: 0 success, 1 nothing found
-- (or a runtime error), 2 usage error. io_like (optional) has stdout and
-- stderr with a write method (io.stdout / io.stderr by default).
--
-- Commands are a registry: M.commands[name] = {synopsis =, summary =, doc =,
-- args =, options =, example =, run = function(ctx, positional)}. The
-- built-in ones are below; others register from their own module
-- (M.EXTERNAL: arxivdigest.cmd.<name>), so that a new command is one file
-- plus one line. ctx gives a command the parsed options (ctx.opts), the
-- streams, and the shared helpers (ctx:input(), ctx:output(), ...).

local type, error, ipairs, pairs, pcall, tostring, tonumber, select, setmetatable, getmetatable =
      type, error, ipairs, pairs, pcall, tostring, tonumber, select, setmetatable, getmetatable
local format, concat, sort = string.format, table.concat, table.sort

local M = {}

-- {======================================================
-- Usage errors, options, the registry
-- =======================================================

local UsageError = {}
UsageError.__index = UsageError
UsageError.__tostring = function(e) return e.msg end

local function usage_error(msg) error(setmetatable({msg = msg}, UsageError), 0) end
M.usage_error = usage_error

-- the -f line of a command's help: its own formats (spec.formats, and
-- spec.templates == false when it takes no "{id} {title}" template), else
-- every format
local function format_doc(c)
  local names
  if c and c.formats then names = concat(c.formats, ", ")
  else
    local ok, fm = pcall(require, "arxivdigest.format")
    names = ok and concat(fm.names(), ", ") or "text, markdown, ..."
  end
  if c and c.templates == false then
    local line = "output format: " .. names .. " (default: from -o's name, else text)"
    if #line <= 68 then return line end
    return "output format: " .. names .. "\n" .. (" "):rep(31) .. "(default: from -o's name, else text)"
  end
  return "output format: " .. names .. ",\n" .. (" "):rep(31) .. "or a template \"{id} {title}\" "
    .. "(default: from -o's name, else text)"
end

local COMMON = {
  {long = "help", short = "h", doc = "show this help"},
  {long = "index", short = "i", value = "FILE", doc = "read a saved index (*.adx) instead of digest files"},
  {long = "output", short = "o", value = "FILE",
   doc = "write to FILE (- is stdout; atomically; /dev/null, a FIFO: in place)"},
  {long = "format", short = "f", value = "FMT", doc = format_doc},
  {long = "limit", short = "n", value = "N", doc = "at most N papers"},
  {long = "verify", doc = "with -i: check every checksum of the index before any work"},
  {long = "warnings", doc = "list every warning about the input (default: a summary)"},
  {long = "no-progress", doc = "never show progress (nor the hint to save an index)"},
}

M.commands = {}
M.ORDER = {}

--- Registers a command (see the header).
function M.register(name, spec)
  if not M.commands[name] then M.ORDER[#M.ORDER + 1] = name end
  M.commands[name] = spec
end

-- Commands defined in modules of their own, loaded when present.
M.EXTERNAL = {"recommend", "watch"}

local function load_external()
  for _, name in ipairs(M.EXTERNAL) do
    if not M.commands[name] then
      local ok, mod = pcall(require, "arxivdigest.cmd." .. name)
      if ok and type(mod) == "table" and type(mod.run) == "function" then M.register(name, mod) end
    end
  end
end

-- The common options a command takes: spec.takes, a list of COMMON's long
-- names (--help is always taken); none given: every one of them (a command
-- registered before the list existed). The others are refused by the
-- parser, and --help leaves them out.
local function takes(cmd, long)
  if long == "help" or not cmd then return true end
  local t = M.commands[cmd].takes
  if not t then return true end
  for _, name in ipairs(t) do if name == long then return true end end
  return false
end
M.takes = takes

local function all_options(cmd)
  local opts = {}
  local c = cmd and M.commands[cmd]
  for _, o in ipairs(COMMON) do
    if takes(cmd, o.long) then
      local doc = c and c.docs and c.docs[o.long]
      if o.long == "format" then doc = doc or function() return format_doc(c) end end
      if doc then o = setmetatable({doc = doc}, {__index = o}) end
      opts[#opts + 1] = o
    end
  end
  for _, o in ipairs(c and c.options or {}) do opts[#opts + 1] = o end
  return opts
end

-- the common options a command does not take (refused with a usage error)
local function refused_options(cmd)
  local out = {}
  for _, o in ipairs(COMMON) do if not takes(cmd, o.long) then out[#out + 1] = o end end
  return out
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
  -- a common option this command does not take: known, but refused
  local not_taken_long, not_taken_short = {}, {}
  for _, s in ipairs(refused_options(cmd)) do
    not_taken_long[s.long] = s
    if s.short then not_taken_short[s.short] = s end
  end
  local opts, pos = {}, {}
  local i = first
  local where = cmd and ("'" .. cmd .. "'") or "arxivdigest"
  local see = cmd and ("arxivdigest " .. cmd .. " --help") or "arxivdigest --help"
  local function name_of(spec)
    return (spec.short and ("-" .. spec.short .. "/") or "") .. "--" .. spec.long
  end
  local function refuse(spec)
    local why = M.commands[cmd].refuse and M.commands[cmd].refuse[spec.long]
    usage_error(format("%s does not take %s%s (see %s)", where, name_of(spec), why and (": " .. why) or "", see))
  end
  local function set(spec, value)
    local key = spec.long
    if spec.multi then
      opts[key] = opts[key] or {}
      opts[key][#opts[key] + 1] = value
    else
      if spec.value and opts[key] ~= nil then
        usage_error(format("option %s given twice ('%s' and '%s'): give it once", name_of(spec),
          tostring(opts[key]), tostring(value)))
      end
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
      if not spec and not_taken_long[name] then refuse(not_taken_long[name]) end
      if not spec then
        -- "--a" (a double negation), "--ti:nerf", "--(a OR b)": no option
        -- has a one-letter long name or such characters: a query
        local hint = (value == nil and (#name == 1 or name:find("^%-") or name:find("[%s:\"()*]")))
          and format("; a query that starts with '-' goes after '--': arxivdigest %s -- '%s'",
            (where:gsub("'", "")), a) or ""
        usage_error(format("unknown option '--%s' for %s (see %s)%s", name, where, see, hint))
      end
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
      if not spec and not_taken_short[letter] then refuse(not_taken_short[letter]) end
      if not spec then
        -- "-survey gan", "-ti:nerf": a query that starts with a negation
        local hint = (#a > 2 and (a:find("[%s:\"]") or not by_short[a:sub(3, 3)]))
          and format("; a query that starts with '-' goes after '--': arxivdigest %s -- '%s'",
            (where:gsub("'", "")), a) or ""
        usage_error(format("unknown option '-%s' for %s (see %s)%s", letter, where, see, hint))
      end
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

-- the text of an option's doc (a string, or a function giving it)
local function docof(o) return type(o.doc) == "function" and o.doc() or o.doc end

local function help_text(cmd)
  local out = {}
  local function opt_lines(list)
    for _, o in ipairs(list) do
      local left = (o.short and ("-" .. o.short .. ", ") or "    ") .. "--" .. o.long
        .. (o.value and (" " .. o.value) or "")
      out[#out + 1] = format("  %-28s %s", left, docof(o))
    end
  end
  if not cmd then
    out[#out + 1] = "usage: arxivdigest COMMAND [OPTIONS] [PATH...]"
    out[#out + 1] = ""
    out[#out + 1] = "Search, filter, recommend and report on archives of arXiv digests. Input: digest"
    out[#out + 1] = "files or folders (PATH...), a saved index (-i archive.adx), or, with neither, the"
    out[#out + 1] = "bundled sample."
    out[#out + 1] = ""
    out[#out + 1] = "commands:"
    for _, name in ipairs(M.ORDER) do
      local c = M.commands[name]
      out[#out + 1] = format("  %-36s %s", c.synopsis, c.summary)
    end
    out[#out + 1] = ""
    out[#out + 1] = "options (every command):"
    opt_lines(COMMON)
    out[#out + 1] = format("  %-28s %s", "    --version", "print the version")
    out[#out + 1] = ""
    out[#out + 1] = "Run 'arxivdigest COMMAND --help' for a command's options. Exit status: 0 success,"
    out[#out + 1] = "1 nothing found or an error, 2 usage error."
  else
    local c = M.commands[cmd]
    out[#out + 1] = "usage: arxivdigest " .. c.synopsis .. " [OPTIONS]"
    out[#out + 1] = ""
    out[#out + 1] = c.summary .. "."
    if c.doc then out[#out + 1] = c.doc end
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
-- Helpers shared by the commands (ctx methods)
-- =======================================================

local Ctx = {}
Ctx.__index = Ctx

--- The bundled sample folder (ad.sample(): ARXIVDIGEST_SAMPLE, the
-- installed rock's sample/, or examples/data/ in a source tree).
function M.sample_dir()
  local dir, err = require("arxivdigest").sample()
  if not dir then error(err, 0) end
  return dir
end

local function isatty(fd) return require("arxivdigest.core").isatty(fd) end

local function now() return require("arxivdigest.core").now() end

local function thousands(n)
  local s = tostring(math.floor(n))
  return (s:reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", ""))
end
M.thousands = thousands

function Ctx:warn(msg) self.stderr:write("arxivdigest: ", msg, "\n") end

-- Progress on stderr, only when stderr is a terminal (and --no-progress is
-- not given), and only once the work has taken more than a second.
--   bar = ctx:progress("exporting", total); bar.step(); bar.done()
--   ctx:progress(label, nil, summary).stage(big, fn, ...) runs fn and reports its wall
--   time (and summary(results) when given) when it took more than a second
--   (or at once, when big)
-- A progress bar appears once a step has run this many seconds
-- (ARXIVDIGEST_PROGRESS_AFTER overrides it: the specs show it at once).
M.PROGRESS_AFTER = tonumber(os.getenv("ARXIVDIGEST_PROGRESS_AFTER") or "") or 1

function Ctx:progress(label, total, summary)
  local on = not self.no_progress and self.stderr == io.stderr and self.tty
  local t0 = now()
  local shown, n, last = false, 0, 0
  local stderr = self.stderr
  local function draw()
    local width = 30
    local m = total and n > total and total or n
    local frac = total and total > 0 and m / total or 0
    local fill = math.floor(frac * width)
    stderr:write(format("\r%s [%s%s] %d%s %.1fs", label, ("#"):rep(fill), ("."):rep(width - fill), m,
      total and ("/" .. total) or "", now() - t0))
  end
  return {
    step = function(k)
      if not on then return end
      n = n + (k or 1)
      local t = now()
      if t - t0 > M.PROGRESS_AFTER and t - last > 0.1 then
        shown, last = true, t
        draw()
      end
    end,
    done = function()
      if shown then n = total or n; draw(); stderr:write("\n") end
    end,
    -- summary(results of fn) -> a few numbers shown after "done" (or nil)
    stage = function(big, fn, ...)
      if on and big then stderr:write(label, "...") end
      local r = table.pack(fn(...))
      local dt = now() - t0
      local what = ""
      if on and (big or dt > 1) and summary and r[1] then
        local ok, s = pcall(summary, table.unpack(r, 1, r.n))
        if ok and s then what = " (" .. s .. ")" end
      end
      if on and big then
        stderr:write(format("\r%s: done in %.1f s%s\n", label, dt, what))
      elseif on and dt > 1 then
        stderr:write(format("%s: done in %.1f s%s\n", label, dt, what))
      end
      return table.unpack(r, 1, r.n)
    end,
  }
end

-- Format options that advance a progress bar as the formatter reads the
-- papers (long exports on a terminal): returns opts, done
function Ctx:progress_opts(label)
  if not (not self.no_progress and self.stderr == io.stderr and self.tty) then
    return nil, function() end
  end
  local bar, seen = nil, 0
  return {progress = function(i, n)
    bar = bar or self:progress(label, n)
    if i > seen then bar.step(i - seen); seen = i end
  end}, function() if bar then bar.done() end end
end

--- What the input's warnings say, on stderr: a summary, or every one with
--- --warnings. Files that are not digests are counted apart.
function Ctx:report_warnings(c)
  local ws = c
  if getmetatable(c) ~= nil then  -- a Collection
    local ok, cw = pcall(c.warnings, c)
    if not ok then return end
    ws = cw
  end
  if #ws == 0 then return end
  local function where(w)
    return w.line and w.line > 0 and format("%s:%d: %s", w.source, w.line, w.message)
      or format("%s: %s", w.source, w.message)
  end
  if self.opts.warnings then
    for _, w in ipairs(ws) do self.stderr:write(where(w), "\n") end
    return
  end
  local notdigest, skipped, other, files = {}, {}, {}, {}
  local unrecorded = 0    -- past the 100 a file records: counted, not listed
  for _, w in ipairs(ws) do
    local more = w.message:match("^(%d+) more warnings for this file were not recorded$")
    if more then
      unrecorded = unrecorded + tonumber(more); files[w.source] = true
    elseif w.message:find("^not an arXiv digest") or w.message:find("^cannot read") then
      notdigest[#notdigest + 1] = w
    elseif w.message:find("^skipped") then skipped[#skipped + 1] = w
    else other[#other + 1] = w; files[w.source] = true end
  end
  if #notdigest > 0 then
    self:warn(format("%d file%s could not be read as digests (first: %s)%s", #notdigest,
      #notdigest > 1 and "s" or "", where(notdigest[1]), #notdigest > 1 and "; --warnings lists them" or ""))
  end
  for i = 1, math.min(#skipped, 3) do self:warn(where(skipped[i])) end
  if #skipped > 3 then
    self:warn(format("and %d more folders with files skipped; --warnings lists them", #skipped - 3))
  end
  if #other > 0 then
    local nf = 0
    for _ in pairs(files) do nf = nf + 1 end
    local n = #other + unrecorded
    self:warn(format("%d warning%s in %d file%s (first: %s); --warnings lists %s", n,
      n > 1 and "s" or "", nf, nf > 1 and "s" or "", where(other[1]),
      unrecorded > 0 and "the first 100 of each file" or "them all"))
  end
end

--- The saved index -i FILE (the one place the command loads one): with
--- --verify every checksum is checked now, so that a damaged file fails at
--- once ("FILE: corrupted index (checksum mismatch)"), not when (or if) a
--- damaged part is read.
function Ctx:load_index(file)
  local idx, err = require("arxivdigest").load(file, {verify = self.opts.verify and true or nil})
  if not idx then error(tostring(err), 0) end
  self.loaded = self.loaded or {}
  self.loaded[#self.loaded + 1] = {file = file, idx = idx}
  return idx
end

--- The hint for an error that names a digest file a loaded index reads
--- (the files were moved or deleted after the index was saved), or "".
function Ctx:moved_hint(msg)
  -- a source file changed since the saved index -i was made: the command
  -- that brings it up to date (the library says only "run update")
  if tostring(msg):find(": source file changed since it was indexed %(run update%)$") then
    local l = (self.loaded or {})[1]
    if l and l.file then return format("; to bring it up to date: arxivdigest index update -i %s", l.file) end
    return ""
  end
  local path = tostring(msg):match("^(.-): No such file or directory$")
  if not path then return "" end
  for _, l in ipairs(self.loaded or {}) do
    local ok, files = pcall(l.idx.files, l.idx)
    if ok and type(files) == "table" then
      for _, f in ipairs(files) do
        if f.path == path then
          return format("; the index %s reads the papers' text from the digest files it was made from: "
            .. "if they moved, run arxivdigest index update -i %s NEWPATH", l.file, l.file)
        end
      end
    end
  end
  return ""
end

--- The input: a Collection (paths or the sample) or an Index (-i, or
--- want_index). Extra paths with -i are a usage error.
function Ctx:input(paths, want_index)
  local ad = require "arxivdigest"
  if self.opts.index then
    if #paths > 0 then
      usage_error(format("'%s' reads the index -i %s: give no PATH (or drop -i): %s", self.cmd,
        self.opts.index, concat(paths, " ")))
    end
    return self:load_index(self.opts.index), "index"
  end
  if #paths == 0 then paths = {M.sample_dir()} end
  local t0 = now()
  local c, err = self:progress("reading " .. concat(paths, " "), nil, function(coll)
    local files, bytes = coll:files(), 0
    for _, f in ipairs(files) do bytes = bytes + f.size end
    return format("%s files, %.1f MB, %s records", thousands(#files), bytes / 1e6, thousands(#coll))
  end).stage(false, ad.open, #paths == 1 and paths[1] or paths)
  if not c then error(tostring(err), 0) end
  self:report_warnings(c)
  if #c == 0 then
    -- a digest (its header read) without records is not "no digest"
    local digests = 0
    for _, f in ipairs(c:files()) do if f.format ~= "unknown" then digests = digests + 1 end end
    error(format("no paper in %s (%s)", concat(paths, " "), digests == 0 and "no digest file found"
      or format("%d digest file%s with no paper record", digests, digests == 1 and "" or "s")), 0)
  end
  self.input_paths = paths
  if want_index then
    local idx = self:index(c)
    self.read_time = now() - t0
    return idx, "index"
  end
  return c, "collection"
end

-- An input this large (papers) is worth a saved index: indexing it takes a
-- second or more, on every run.
M.INDEX_HINT_PAPERS = 20000

--- The in-memory index of the input Collection c (progress on a terminal).
--- When c is large, a one-line hint on stderr (not with --no-progress,
--- nor for 'index' itself): build the index once and give it with -i.
function Ctx:index(c)
  local ad = require "arxivdigest"
  local label = format("indexing %s records", thousands(#c))
  local t0 = now()
  local idx = self:progress(label, nil, function(ix)
    local info = ix:info()
    return format("%s papers, %s terms", thousands(#ix), thousands(info.terms or 0))
  end).stage(#c > 20000, ad.index, c)
  if #c >= M.INDEX_HINT_PAPERS and not self.no_progress and self.cmd ~= "index" and not self.hinted then
    self.hinted = true
    local paths = {}
    for i, p in ipairs(self.input_paths or {}) do   -- as a shell would take them
      paths[i] = p:find("[^%w%./_%-]") and "'" .. p:gsub("'", [['\'']]) .. "'" or p
    end
    self:warn(format("hint: indexing %s papers took %.1f s, and will again on every run: save the index "
      .. "once (arxivdigest index build -o archive.adx %s), then give -i archive.adx instead of the paths",
      thousands(#c), now() - t0, concat(paths, " ")))
  end
  return idx
end

--- After a run on -i INDEX: when the run built the recommendation model of
--- the default options (a report with a :recommend step; the API reads
--- INDEX.model but writes it only through idx:save_model), it is kept in
--- INDEX.model, as `recommend -i` and a watch keep it, so that the next
--- runs do not build it again (2 s on the real archive). Quietly nothing
--- when the file cannot be written. sb: the sandbox a sandboxed report
--- ran in, whose recommendations built the model there: this command
--- takes it from the sandbox's cache (in C, out of the script's reach)
--- and writes the file; the script writes nothing.
function Ctx:keep_model(idx, sb)
  if not self.opts.index then return end
  local mpath = self.opts.index .. ".model"
  local kept
  if sb ~= nil then
    kept = require("arxivdigest.recommend")._save_sandboxed(idx, sb, mpath)
  else
    local rec = package.loaded["arxivdigest.recommend"]
    if type(rec) ~= "table" or not rec._built_default(idx) then return end
    kept = idx:save_model(mpath)
  end
  if kept then
    self:warn(format("kept the recommendation model in %s: the next runs start faster", mpath))
  end
end

function Ctx:int_option(name)
  local v = self.opts[name]
  if v == nil then return nil end
  local n = tonumber(v)
  if not n or n < 0 or n ~= math.floor(n) then
    usage_error(format("option '--%s' needs a non-negative integer, got '%s'", name, tostring(v)))
  end
  return math.tointeger(n)
end

--- The format of the output: -f, else -o's extension (an unknown one is a
--- usage error), else default.
function Ctx:output_format(default)
  local fm = require "arxivdigest.format"
  local fmt = self.opts.format
  if fmt then return fmt end
  if self.opts.output then
    local name = fm.for_path(self.opts.output)
    if name then return name end
    -- /dev/null, a FIFO, -o - or /dev/stdout: no name to tell by, the
    -- command's default
    if require("arxivdigest.output").in_place(self.opts.output) then return default end
    -- a directory is refused for what it is, not for its name
    local okt, kind = pcall(require("arxivdigest.core").filetype, self.opts.output)
    if okt and kind == "directory" then error(format("%s: Is a directory", self.opts.output), 0) end
    usage_error(format("cannot tell the format of '%s' from its name: give -f FORMAT (%s)",
      self.opts.output, concat(fm.names(), ", ")))
  end
  return default
end

--- Writes the pipeline with the chosen format to -o FILE or stdout;
--- returns the number of papers written. fmt_opts go to the formatter,
--- with the command and its query.
function Ctx:output(pipe, default_fmt, fmt_opts)
  local fmt = self:output_format(default_fmt or "text")
  fmt_opts = fmt_opts or {}
  fmt_opts.command = fmt_opts.command or self.cmd
  -- stdout (through the checked writer): the text format may colour a terminal
  if self.to_stdout and not self.opts.output and fmt_opts.stdout == nil then fmt_opts.stdout = true end
  local ok, err = pcall(pipe.format, pipe, fmt, fmt_opts)
  if not ok then usage_error((tostring(err):gsub("^.-bad argument #1 to 'format' %((.*)%)$", "%1"))) end
  pipe = err
  if self.opts.output then
    local n, werr = self:write_to(self.opts.output, pipe)
    if not n then error(tostring(werr), 0) end
    return n
  end
  if self.stdout == io.stdout then return pipe:write(io.stdout) end
  local out = self.stdout
  return pipe:write(function(s) out:write(s) end)
end

--- Writes a pipeline to path as -o does (arxivdigest.output.write: a file
--- atomically; a named pipe or a character device such as /dev/null in
--- place): the number of papers, or nil, "path: reason".
function Ctx:write_to(path, pipe)
  local output = require "arxivdigest.output"
  local std = output.std_stream(path)
  if std then   -- -o -, /dev/stdout, stdout's own file: the stream, in place
    return output.write_stream(std == "stdout" and self.stdout or self.stderr, path, function(write)
      return pipe:write(write, path ~= "-" and require("arxivdigest.format").for_path(path) and path or nil)
    end)
  end
  return output.write(path, function(write)
    return pipe:write(write, path)
  end)
end

--- Writes text to -o FILE (as write_to does) or stdout.
function Ctx:write_text(text)
  if self.opts.output then
    local output = require "arxivdigest.output"
    local path = self.opts.output
    local ok, err
    local std = output.std_stream(path)
    if std then
      ok, err = output.write_stream(std == "stdout" and self.stdout or self.stderr, path,
        function(write) write(text) end)
    else
      ok, err = output.write(path, function(write) write(text) end)
    end
    if not ok then error(tostring(err), 0) end
  else
    self.stdout:write(text)
  end
end

--- The args of a script: argv, today, the settings file's table
--- (--settings, read in a sandbox) and each --arg KEY=VALUE (which wins).
function Ctx:script_args(paths)
  local args = {argv = paths, today = os.date("!%Y-%m-%d")}
  if self.opts.settings then
    local ok, t, rerr = pcall(require("arxivdigest.script").run, self.opts.settings,
      {sandbox = true, max_instructions = 1e7, max_memory = 64 * 1024 * 1024})
    if not ok then error(tostring(t), 0) end
    if t == nil and rerr then error(tostring(rerr), 0) end   -- not read: why
    if type(t) ~= "table" then
      error(format("%s: a settings file must return a table (got %s)", self.opts.settings, type(t)), 0)
    end
    for k, v in pairs(t) do args[k] = v end
  end
  local keys, seen = {}, {}
  for _, kv in ipairs(self.opts.arg or {}) do
    local k, v = kv:match("^([%w_]+)=(.*)$")
    if not k then usage_error(format("option '--arg' needs KEY=VALUE, got '%s'", kv)) end
    args[k] = v
    if not seen[k] then seen[k] = true; keys[#keys + 1] = k end
  end
  return args, keys
end

--- Runs fn, the part of a command that runs a script, then warns about
--- each --arg key the script never read (misspelt, or a setting the
--- script does not have), also when fn failed (a misspelt key may be
--- why); then returns what fn returned, or raises its error. bopts are the
--- options given to script.report/filter (watch_args, unread_args).
function Ctx:watching_args(path, bopts, fn)
  local r = table.pack(pcall(fn))
  local ok, left = pcall(bopts.unread_args or function() return {} end)  -- (a spent sandbox: nothing to say)
  if ok and type(left) == "table" and #left > 0 then
    local given = {}
    for _, k in ipairs(left) do given[#given + 1] = "--arg " .. tostring(k) end
    if not r[1] then
      self:warn(format("warning: %s stopped before reading %s (misspelt?)", path, concat(given, ", ")))
    else
      self:warn(format("warning: %s did not read %s (misspelt, or a setting the script does not have)",
        path, concat(given, ", ")))
    end
  end
  if not r[1] then error(r[2], 0) end
  return table.unpack(r, 2, r.n)
end

--- What a script's output is about (its feed id and title): the script
--- path, the --settings file and the --arg values (sorted by key).
function Ctx:script_about(path)
  local parts = {path}
  if self.opts.settings then parts[#parts + 1] = "--settings " .. self.opts.settings end
  local args, keys = {}, {}
  for _, kv in ipairs(self.opts.arg or {}) do
    local k, v = kv:match("^([%w_]+)=(.*)$")
    if k then
      if args[k] == nil then keys[#keys + 1] = k end
      args[k] = v                    -- (the last one wins, as in script_args)
    end
  end
  sort(keys)
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. args[k] end
  return concat(parts, " ")
end

function Ctx:budget_opts()
  local o = self.opts
  local t = {sandbox = o.sandbox and true or false}
  for _, name in ipairs{"max-instructions", "max-memory"} do
    if o[name] and not o.sandbox then
      usage_error(format("option '--%s' is a budget of --sandbox ('%s' got no --sandbox)", name, self.cmd))
    end
  end
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

function Ctx:need_args(pos, n)
  local c = M.commands[self.cmd]
  if #pos < n then
    usage_error(format("'%s' needs %s (usage: arxivdigest %s)", self.cmd, c.args[#pos + 1], c.synopsis))
  end
end

M.Ctx = Ctx

-- }======================================================

-- {======================================================
-- Commands
-- =======================================================

local SANDBOX_OPTS = {
  {long = "sandbox", doc = "run the script in a sandbox: no files, no io/os/require..., with budgets"},
  {long = "max-instructions", value = "N", doc = "sandbox instruction budget (default 2e8)"},
  {long = "max-memory", value = "MB", doc = "sandbox memory budget in MiB (default 512)"},
}

-- the common options of the commands that read papers and write a list
local ALL = {"index", "output", "format", "limit", "verify", "warnings", "no-progress"}
local NO_LIMIT = {"index", "output", "format", "verify", "warnings", "no-progress"}

local function with(list, extra)
  local out = {}
  for _, o in ipairs(list) do out[#out + 1] = o end
  for _, o in ipairs(extra) do out[#out + 1] = o end
  return out
end

-- One order whatever the input (filter, export), so that -n N keeps the
-- same papers from a folder and from an index: newest first, by digest
-- day, then by arXiv id, highest first: an index's own order (doc order:
-- csrc/ad_build.c), and the same made for a collection (read in path
-- order) from each paper's day and id. kind: ctx:input's second value.
local function newest_first(pipe, kind)
  if kind == "index" then return pipe:sort("date", "desc") end
  local keys = setmetatable({}, {__mode = "k"})
  local function key(p)
    local k = keys[p]
    if not k then k = (p.date or "") .. " " .. (p.id or ""); keys[p] = k end
    return k
  end
  return pipe:sort(function(a, b) return key(a) > key(b) end)
end
M._newest_first = newest_first      -- (for the specs)

--- A query as messages echo it: quoted, and cut after 200 bytes (at a
--- character boundary) with its size, so a huge query is not repeated whole.
local function echo_query(q)
  q = tostring(q)
  if #q <= 200 then return "'" .. q .. "'" end
  local cut = 200
  while cut > 0 and (q:byte(cut + 1) or 0) >= 0x80 and (q:byte(cut + 1) or 0) < 0xC0 do cut = cut - 1 end
  return format("'%s...' (a query of %d bytes)", q:sub(1, cut), #q)
end
M.echo_query = echo_query

M.register("search", {
  synopsis = "search QUERY [PATH...]",
  summary = "Papers matching QUERY, best first",
  doc = "QUERY is the query language: terms, \"phrases\", AND OR NOT -x, fields ti: abs: au: co:,\n"
    .. "cat: primary: id: date:2020-05 year:2019 has:code v:2+. Exit status 1 when nothing matches.",
  args = {"QUERY"},
  takes = ALL,
  options = {{long = "sort", value = "score|date", doc = "order of the results (default score)"},
             {long = "offset", value = "N", doc = "skip the first N results"}},
  example = "arxivdigest search 'segmentation -survey cat:cs.CV' --limit 5",
  run = function(ctx, pos)
    ctx:need_args(pos, 1)
    local q = pos[1]
    local limit = ctx:int_option("limit") or 10
    local offset = ctx:int_option("offset") or 0
    local sortby = ctx.opts.sort or "score"
    if sortby ~= "score" and sortby ~= "date" then
      usage_error("option '--sort' must be 'score' or 'date'")
    end
    local okq, tree = pcall(require("arxivdigest.query").parse, q)
    if not okq then usage_error("bad query: " .. tostring(tree)) end
    ctx:output_format("text")        -- a bad -o name fails before any work
    local ad = require "arxivdigest"
    local paths = {select(2, table.unpack(pos))}
    -- `search nerf diffusion`, unquoted: 'diffusion' is taken for a path.
    -- The arguments that name no file join the query; those that do stay
    -- paths after it (`search nerf diffusion corpus/`: 'nerf diffusion'
    -- corpus/), but not with -i, which takes no path.
    local function quote_hint()
      local words, rest = {q}, {}
      for _, p in ipairs(paths) do
        local okt, kind = pcall(require("arxivdigest.core").filetype, p)
        if okt and kind == nil then words[#words + 1] = p
        elseif not ctx.opts.index then rest[#rest + 1] = p end
      end
      if #words == 1 then return "" end
      local all = concat(words, " ")
      local tail = concat(rest, " ")
      if (all .. tail):find("'", 1, true) then return "; a query of several words goes in quotes" end
      for i, p in ipairs(rest) do
        if p:find("[^%w%./_%-+,:=@]") then rest[i] = "'" .. p .. "'" end
      end
      tail = #rest > 0 and " " .. concat(rest, " ") or ""
      return format("; a query of several words goes in quotes: arxivdigest search '%s'%s", all, tail)
    end
    if #paths > 0 and ctx.opts.index then
      usage_error(format("'search' reads the index -i %s: give no PATH (or drop -i): %s%s", ctx.opts.index,
        concat(paths, " "), quote_hint()))
    end
    for _, p in ipairs(paths) do
      local okt, kind = pcall(require("arxivdigest.core").filetype, p)
      if okt and kind == nil then error(format("%s: No such file or directory%s", p, quote_hint()), 0) end
    end
    local src = ctx:input(paths, true)
    local pipe = ad.from(src):query(tree)
    if sortby == "date" then pipe = pipe:sort("date", "desc") end
    if limit == 0 then
      local n = pipe:count()
      ctx:warn(format("%d paper%s match%s %s (none shown: -n 0)", n, n == 1 and "" or "s",
        n == 1 and "es" or "", echo_query(q)))
      return n > 0 and 0 or 1
    end
    local n = ctx:output(pipe:limit(limit, offset), "text")
    if n == 0 then
      local all = offset > 0 and pipe:count() or 0
      if all > 0 then   -- matches, all of them before the offset
        ctx:warn(format("no paper past --offset %d: %d paper%s match%s %s", offset, all,
          all == 1 and "" or "s", all == 1 and "es" or "", echo_query(q)))
      else
        ctx:warn(format("no paper matches %s", echo_query(q)))
      end
      return 1
    end
    return 0
  end,
})

-- show and similar: the arguments of pos from `from` on that are arXiv ids
-- (any form get takes: old-style cs/9810003, arXiv:, URLs) and name no
-- file, up to the first that is not, appended to ids; the rest are paths.
-- Returns ids, paths.
local function ids_then_paths(pos, from, ids)
  local parse_id = require("arxivdigest.library").parse_id
  local paths = {}
  for k = from, #pos do
    local a = pos[k]
    local isid = #paths == 0 and parse_id(a) ~= nil
    if isid then
      local f = io.open(a, "rb")
      if f then f:close(); isid = false end
    end
    if isid then ids[#ids + 1] = a else paths[#paths + 1] = a end
  end
  return ids, paths
end

M.register("show", {
  synopsis = "show ID [ID...] [PATH...]",
  summary = "Papers by arXiv id (with or without version)",
  doc = "The ids come first (an argument that is an arXiv id and not a file), then the paths.\n"
    .. "Exit status 1 when one of them is not there.",
  args = {"ID"},
  takes = NO_LIMIT,
  refuse = {limit = "it shows every paper asked for"},
  example = "arxivdigest show 2005.09623 2011.10043",
  run = function(ctx, pos)
    ctx:need_args(pos, 1)
    local parse_id = require("arxivdigest.library").parse_id
    local ids, paths = ids_then_paths(pos, 2, {pos[1]})
    local ad = require "arxivdigest"
    local src, kind = ctx:input(paths)
    local papers, missing = {}, {}
    for _, id in ipairs(ids) do
      local found
      if kind == "index" then found = src:get(id)
      else found = ad.from(src):where(require("arxivdigest.filter").id(id)):limit(1):collect()[1] end
      if found then
        papers[#papers + 1] = found
        -- a version asked for that is not the one shown: said, not hidden
        local canon = parse_id(id)
        local e = canon and select(2, id:find(canon, 1, true))
        local v = e and math.tointeger(tonumber(id:match("^v(%d+)", e + 1) or ""))
        if v and found.version and v ~= found.version then
          ctx:warn(format("%s: v%d shown, the %s version of %s the input has (not v%d)", id, found.version,
            v > found.version and "newest" or "latest", canon, v))
        end
      else missing[#missing + 1] = id end
    end
    if #papers > 0 then ctx:output(ad.from(papers), "text") end
    for _, id in ipairs(missing) do
      if parse_id(id) then ctx:warn(format("no paper with id '%s'", id))
      else   -- `show nonexist.md`, `show notes.md`: the first argument is an id
        local fh = io.open(id, "rb")
        if fh then fh:close() end
        ctx:warn(format(fh and "'%s' is a file, not a paper id (usage: arxivdigest show ID [ID...] [PATH...])"
          or "'%s' is neither a paper id nor a readable file", id))
      end
    end
    return #missing == 0 and 0 or 1
  end,
})

M.register("export", {
  synopsis = "export --to FORMAT [PATH...]",
  summary = "Every record of the input in one format",
  doc = "The format: --to (or -f), else the extension of -o FILE (.jsonl, .csv, .bib, .html, .atom, .md, .txt).\n"
    .. "The papers come newest first (digest day, then arXiv id), from a folder or an index alike.",
  takes = ALL,
  options = {{long = "to", short = "t", value = "FORMAT", doc = "output format (or -f FORMAT; one of them)"}},
  example = "arxivdigest export --to jsonl examples/data/ -o all.jsonl",
  run = function(ctx, pos)
    if ctx.opts.to and ctx.opts.format and ctx.opts.to ~= ctx.opts.format then
      usage_error(format("'export' got two formats: --to %s and -f %s (give one)", ctx.opts.to, ctx.opts.format))
    end
    -- the format: --to or -f, else -o's extension as every command reads it
    -- (an unknown one is a usage error); none at all is an error, not text:
    -- an export is data for another program
    local to = ctx.opts.to or ctx.opts.format or (ctx.opts.output and ctx:output_format(nil))
    if not to then
      usage_error("'export' needs --to FORMAT or -o FILE with a format's extension ("
        .. concat(require("arxivdigest.format").names(), ", ") .. ")")
    end
    ctx.opts.format = to
    local ad = require "arxivdigest"
    local src, kind = ctx:input(pos)
    local fmt_opts, done = ctx:progress_opts("exporting")
    -- the order of filter (newest first), from a folder or an index alike
    local pipe = newest_first(ad.from(src), kind)
    local limit = ctx:int_option("limit")
    if limit then pipe = pipe:limit(limit) end
    ctx:output(pipe, to, fmt_opts)
    done()
    return 0
  end,
})

M.register("filter", {
  synopsis = "filter SCRIPT [PATH...]",
  summary = "Papers kept by a filter script",
  doc = "SCRIPT is a Lua file returning a filter (arxivdigest.filter) or a function(paper).\n"
    .. "The papers kept come newest first (digest day, then arXiv id), from a folder or an index alike.",
  args = {"SCRIPT"},
  takes = ALL,
  options = with(SANDBOX_OPTS, {{long = "explain", doc = "print why each kept paper matched (on stderr)"},
    {long = "arg", short = "a", value = "KEY=VALUE", multi = true, doc = "pass KEY = VALUE to the script (as ...)"},
    {long = "settings", short = "s", value = "FILE",
     doc = "a Lua file returning a table of settings for the script (--arg wins)"}}),
  example = "arxivdigest filter examples/filters/code-release.lua --sandbox",
  run = function(ctx, pos)
    ctx:need_args(pos, 1)
    local path = pos[1]
    local script = require "arxivdigest.script"
    local bopts = ctx:budget_opts()
    bopts.args, bopts.watch_args = ctx:script_args({select(2, table.unpack(pos))})
    local limit = ctx:int_option("limit")
    local n, all = ctx:watching_args(path, bopts, function()
      local f, err = script.filter(path, bopts)
      if not f then error(tostring(err), 0) end
      local ad = require "arxivdigest"
      local src, kind = ctx:input({select(2, table.unpack(pos))})
      -- a filter keeps or drops, it does not rank (search ranks): newest first
      local pipe = newest_first(ad.from(src):where(f), kind)
      local whole = pipe
      if limit then pipe = pipe:limit(limit) end
      if ctx.opts.explain then
        ctx.stderr:write("filter: " .. tostring(f) .. "\n")
        for p in pipe:papers() do
          local _, lines = f:explain(p)
          ctx.stderr:write(format("%s %s\n", tostring(p.id), tostring(p.title)))
          for _, l in ipairs(lines) do ctx.stderr:write("  " .. l .. "\n") end
        end
      end
      return ctx:output(pipe, "text", {about = ctx:script_about(path)}), whole
    end)
    if n == 0 and limit == 0 then
      -- -n 0 shows none of what was kept: as search says it
      local kept = all:count()
      if kept > 0 then
        ctx:warn(format("the filter kept %d paper%s (none shown: -n 0)", kept, kept == 1 and "" or "s"))
        return 0
      end
    end
    if n == 0 then
      ctx:warn("the filter kept no paper")
      return 1
    end
    return 0
  end,
})

-- report -o FILE without -f: the script's own format wins over FILE's
-- extension (the file gets the report as the script writes it). Said on
-- stderr when the extension names another format: a format by name that
-- differs, or a function (the script's own text: assumed markdown or text,
-- so .md and .txt are not warned about). A pipeline with no format takes
-- FILE's extension's, as before.
local function report_format_warning(ctx, script, pipe)
  local named = require("arxivdigest.format").for_path(ctx.opts.output)
  if not named then return end
  local okd, desc = pcall(pipe.describe, pipe)
  if not okd or type(desc) ~= "string" then return end
  local own = desc:match("\nformat ([^\n]*)$") or desc:match("^format ([^\n]*)$")
  if not own or own == "(from output)" or own == named then return end
  local builtin = require("arxivdigest.format").get(own) ~= nil
  if not builtin and (named == "markdown" or named == "text") then return end
  local what = builtin and ("formats its output as " .. own)
    or ("writes its own format (" .. (own:find("[{}]") and "a template" or "a " .. own) .. ")")
  ctx:warn(format("warning: -o %s names the %s format, but %s %s, which %s gets unchanged; "
    .. "-f %s renders the report's papers in %s instead", ctx.opts.output, named, script, what,
    ctx.opts.output, named, named))
end

M.register("report", {
  synopsis = "report SCRIPT [PATH...]",
  summary = "Run a report script",
  doc = "SCRIPT is a Lua file returning a pipeline or a function(ad, args); args.source is the\n"
    .. "input as a pipeline (an index with -i); --arg KEY=VALUE adds args.KEY.",
  args = {"SCRIPT"},
  -- no -n: a limit on the script's pipeline cuts the papers it counts (an
  -- author's count, "N papers match"), so the report would be false
  takes = NO_LIMIT,
  refuse = {limit = "it would cut the papers the script counts, and its counts would be false; "
    .. "give the script's own setting if it has one (--arg limit=N, --arg top=N)"},
  options = with(SANDBOX_OPTS, {{long = "arg", short = "a", value = "KEY=VALUE", multi = true,
    doc = "pass args.KEY = VALUE"},
    {long = "settings", short = "s", value = "FILE",
     doc = "a Lua file returning a table of settings, merged into args (--arg wins)"}}),
  example = "arxivdigest report examples/reports/daily.lua -i archive.adx -o daily.md",
  run = function(ctx, pos)
    ctx:need_args(pos, 1)
    local path = pos[1]
    local paths = {select(2, table.unpack(pos))}
    local bopts = ctx:budget_opts()
    bopts.args, bopts.watch_args = ctx:script_args(paths)
    local src = ctx:input(paths)
    bopts.source = src
    -- digest files: the report's pipelines that need text run on their
    -- index, made here (once, when one first needs it; see script.report)
    bopts.indexer = function(c) return ctx:index(c) end
    local script = require "arxivdigest.script"
    local pipe = ctx:watching_args(path, bopts, function()
      local p, err = script.report(path, bopts)
      if not p then error(tostring(err), 0) end
      if ctx.opts.format then                        -- -f overrides the report's format
        ctx:output(p, nil, {about = ctx:script_about(path)})
      elseif ctx.opts.output then
        report_format_warning(ctx, path, p)
        local n, werr = ctx:write_to(ctx.opts.output, p)
        if not n then error(tostring(werr), 0) end
      else
        p:write(ctx.stdout == io.stdout and io.stdout or function(s) ctx.stdout:write(s) end)
      end
      return p
    end)
    ctx:keep_model(src, ctx.opts.sandbox and pipe.sb or nil)
    return 0
  end,
})

M.register("stats", {
  synopsis = "stats [PATH...]",
  summary = "Summary: years, months, top categories and authors, gaps",
  doc = "Gaps: runs of missing digest days, days with unusually few papers, days with several files.\n"
    .. "-f text (default), markdown, jsonl or csv.",
  takes = ALL,
  formats = {"text", "markdown", "jsonl", "csv"},
  templates = false,
  docs = {limit = "rows of the top tables (as --top)"},
  options = {{long = "top", value = "N", doc = "rows of the top tables (default 10)"},
             {long = "months", value = "N", doc = "the last N months by month (default 24)"}},
  example = "arxivdigest stats -i archive.adx --top 5",
  run = function(ctx, pos)
    local stats = require "arxivdigest.stats"
    -- (-o with a name that tells no format is an error, as for every command)
    local fmt = ctx:output_format("text")
    if not stats.RENDERERS[fmt] then
      usage_error(format("'stats' writes text, markdown, jsonl or csv, not '%s'", tostring(fmt)))
    end
    local top, lim = ctx:int_option("top"), ctx:int_option("limit")
    if top and lim and top ~= lim then
      usage_error(format("'stats' takes -n N or --top N (the same option), not both (got -n %d and --top %d)",
        lim, top))
    end
    local src = ctx:input(pos)
    local s = stats.summary(src, {top = top or lim or 10,
      months = ctx:int_option("months") or 24})
    ctx:write_text((stats.render(s, fmt)))
    return 0
  end,
})

M.register("similar", {
  synopsis = "similar ID... [PATH...]",
  summary = "Papers most similar to one or more papers, or to a text",
  doc = "tf-idf cosine over title and abstract. Several ids: their texts together; --text TEXT\n"
    .. "(instead of ids; not with them): papers like that text. Arguments that are not ids are paths.",
  args = {"ID"},
  takes = ALL,
  options = {{long = "text", value = "TEXT", doc = "papers similar to this text"}},
  example = "arxivdigest similar 2005.09623 2011.10043 --limit 5",
  run = function(ctx, pos)
    local text = ctx.opts.text
    if not text then ctx:need_args(pos, 1) end
    if text and not text:find("%S") then usage_error("option '--text' needs a text (got an empty one)") end
    -- leading arguments that are arXiv ids are ids, as for show; the rest
    -- are paths
    local ids, paths = ids_then_paths(pos, 1, {})
    -- the seed is the ids or the text: a short text beside whole abstracts
    -- would weigh next to nothing, so the two are not mixed
    if text and #ids > 0 then
      usage_error(format("'similar' takes ids or --text, not both (got %s and --text '%s')",
        concat(ids, " "), text))
    end
    local idx = ctx:input(paths, true)
    local k = ctx:int_option("limit") or 10
    local papers, exclude = {}, {}
    local parts = {}
    for _, id in ipairs(ids) do
      local p = idx:get(id)
      if not p then
        ctx:warn(format("no paper with id '%s'", id))
        return 1
      end
      exclude[p.id] = true
      parts[#parts + 1] = (p.title or "") .. " " .. (p.abstract or "")
    end
    if text then parts[#parts + 1] = text end
    local hits
    if #ids == 1 and not text then hits = idx:similar(ids[1], k)
    else hits = idx:similar(concat(parts, " "), k + #ids) end
    -- each hit's cosine goes to the formatter as search's scores do
    -- (pipeline :rank: opts.scores, ranked; the hits' order kept)
    local score_of = {}
    for _, h in ipairs(hits) do
      if not exclude[h.paper.id] and #papers < k then
        papers[#papers + 1] = h.paper
        score_of[h.paper] = h.score
      end
    end
    local ad = require "arxivdigest"
    -- the feed's id and title: the seed ("arXiv similar: 1910.11126")
    local seed = concat(ids, " ")
    if text then seed = seed .. (#ids > 0 and " " or "") .. text end
    if #papers == 0 and k > 0 then
      -- (a text none of whose words the index holds: nothing to compare)
      ctx:warn(format("no paper is similar to %s", text and #ids == 0
        and ("--text " .. echo_query(text) .. " (none of its words is in the index)") or seed))
      return 1
    end
    local n = ctx:output(ad.from(papers):rank(function(p) return score_of[p] end), "text", {about = seed})
    return n > 0 and 0 or 1
  end,
})

-- index build/update -o FILE: a binary index, so never a name that tells
-- an output format (x.jsonl: 'export --to jsonl' writes that), nor stdout
local function check_index_output(path, action)
  if require("arxivdigest.output").std_stream(path) then
    usage_error(format("'index %s' saves a binary index to a file, not to '%s'", action, path))
  end
  local fmt = require("arxivdigest.format").for_path(path)
  if fmt then
    usage_error(format("'index %s' saves a binary index, and -o %s names the %s format "
      .. "(name it .adx; 'arxivdigest export --to %s' writes the papers as %s)", action, path, fmt, fmt, fmt))
  end
end

M.register("index", {
  synopsis = "index build|update|info [PATH...]",
  summary = "Build, update or describe a saved index",
  doc = "build: index the input and save it (-o FILE, default archive.adx); fails when the input\n"
    .. "holds no paper.\n"
    .. "update: bring the index -i FILE up to date (reads new and changed files only) and save it:\n"
    .. "the files it already indexes (a file deleted since is dropped), plus the digest files\n"
    .. "under each PATH (new ones are added). Files outside PATH stay: to drop a folder from an\n"
    .. "index, build it anew.\n"
    .. "info: describe the index -i FILE.",
  args = {"ACTION"},
  takes = {"index", "output", "verify", "warnings", "no-progress"},
  refuse = {format = "an index is saved in its own binary format (export --to FMT writes the papers)",
            limit = "an index holds every paper of its input"},
  docs = {index = "update, info: the saved index (*.adx)",
          output = "build, update: save the index to FILE; info: write its text to FILE"},
  example = "arxivdigest index build examples/data/ -o archive.adx",
  run = function(ctx, pos)
    ctx:need_args(pos, 1)
    local action = pos[1]
    local paths = {select(2, table.unpack(pos))}
    local t0 = now()
    if action == "build" then
      if ctx.opts.index then usage_error("'index build' reads digest files, not -i (use 'index update')") end
      local out = ctx.opts.output or "archive.adx"
      check_index_output(out, "build")
      local idx = ctx:input(paths, true)
      local ok, err = idx:save(out)
      if not ok then error(tostring(err), 0) end
      ctx:warn(format("indexed %s paper%s into %s in %.1f s", thousands(#idx), #idx == 1 and "" or "s", out,
        now() - t0))
      return 0
    elseif action == "update" then
      local file = ctx.opts.index
      if not file then usage_error("'index update' needs -i FILE (the saved index to update)") end
      if ctx.opts.output then check_index_output(ctx.opts.output, "update") end
      local idx = ctx:load_index(file)
      -- none: the files it indexes; with PATHs, those files (the ones still
      -- there) and PATHs, so that adding a folder never drops the others
      local which = nil
      if #paths > 0 then
        -- PATHs' files as the index names them (absolute), so that a file
        -- both indexed and under a PATH is listed once
        local listed, lerr = require("arxivdigest.core").list(paths)
        if not listed then error(tostring(lerr), 0) end
        local under = {}
        for _, f in ipairs(listed) do under[f.path] = true end
        which = {}
        for _, f in ipairs(idx:files()) do
          if not under[f.path] then
            local h = io.open(f.path, "rb")
            if h then h:close(); which[#which + 1] = f.path end
          end
        end
        for _, p in ipairs(paths) do which[#which + 1] = p end
      end
      local sum, uerr = idx:update(which)
      if not sum then error(tostring(uerr), 0) end
      ctx:report_warnings(sum.warnings)
      local out = ctx.opts.output or file
      local ok, serr = idx:save(out)
      if not ok then error(tostring(serr), 0) end
      ctx:warn(format("%d file%s added, %d changed, %d removed, %d unchanged%s; %d read",
        sum.added, sum.added == 1 and "" or "s", sum.changed, sum.removed, sum.unchanged,
        sum.rechecked > 0 and format(", %d re-checked (same bytes)", sum.rechecked) or "", sum.read))
      ctx:warn(format("%s now holds %s paper%s (%.1f s)", out, thousands(#idx), #idx == 1 and "" or "s",
        now() - t0))
      return 0
    elseif action == "info" then
      local file = ctx.opts.index
      if not file then usage_error("'index info' needs -i FILE") end
      local idx = ctx:load_index(file)
      local info = idx:info()
      local keys = {}
      for k in pairs(info) do keys[#keys + 1] = k end
      sort(keys)
      local lines = {}
      for _, k in ipairs(keys) do
        local v = info[k]
        if math.type(v) == "float" then v = format("%.6g", v) end   -- (k1 2, not 2.0)
        if type(v) ~= "table" then lines[#lines + 1] = format("%-12s %s\n", k, tostring(v)) end
      end
      ctx:write_text(concat(lines))   -- stdout, or -o FILE (text)
      return 0
    end
    usage_error(format("unknown index action '%s' (build, update or info)", tostring(action)))
  end,
})

-- }======================================================

--- Runs the command line `argv` (an array of strings; arg[0] ignored).
-- Returns the exit status.
-- io.stdout, every write checked: a failure (a full disk, a closed pipe)
-- raises "stdout: reason", never an error of the line that wrote
local checked_stdout = {
  write = function(self, ...)
    local ok, err = io.stdout:write(...)
    if not ok then error("stdout: " .. tostring(err), 0) end
    return self
  end,
}

function M.main(argv, streams)
  streams = streams or {}
  local stdout = streams.stdout or io.stdout
  local to_stdout = stdout == io.stdout
  if to_stdout then stdout = checked_stdout end
  local ctx = setmetatable({stdout = stdout, stderr = streams.stderr or io.stderr,
                            to_stdout = to_stdout}, Ctx)
  local list = {}
  for i = 1, #argv do list[i] = argv[i] end
  -- the command: the first word after the global options
  local cmd_at
  for i, a in ipairs(list) do
    if a:sub(1, 1) ~= "-" then cmd_at = i; break end
    if a == "--" then break end
  end
  -- the commands of their own modules are loaded unless a built-in one
  -- runs (start-up: 0.6 ms of a 15 ms search)
  local cmd = cmd_at and list[cmd_at]
  if not cmd or cmd == "help" or not M.commands[cmd] then load_external() end
  local ok, status = pcall(function()
    if list[1] == "--version" or list[1] == "-V" then
      ctx.stdout:write(require("arxivdigest")._VERSION, " (", _VERSION, ")\n")
      return 0
    end
    if not cmd then
      local opts = parse_args(nil, list, 1)
      if opts.help or #list == 0 then
        ctx.stdout:write(help_text(nil))
        return #list == 0 and 2 or 0
      end
      usage_error("no command given (see arxivdigest --help)")
    end
    -- `arxivdigest help [COMMAND]`: the help (a command's, when it names one)
    if cmd == "help" and not M.commands[cmd] then
      local of = list[cmd_at + 1]
      if of == nil or M.commands[of] then
        ctx.stdout:write(help_text(of))
        return 0
      end
      usage_error(format("unknown command '%s' (commands: %s)", of, concat(M.ORDER, ", ")))
    end
    if not M.commands[cmd] then
      usage_error(format("unknown command '%s' (commands: %s)", cmd, concat(M.ORDER, ", ")))
    end
    local rest = {}
    for i = 1, #list do if i ~= cmd_at then rest[#rest + 1] = list[i] end end
    local opts, pos = parse_args(cmd, rest, 1)
    if opts.help then
      ctx.stdout:write(help_text(cmd))
      return 0
    end
    if opts.verify and not opts.index then
      usage_error(format("--verify checks the saved index given with -i FILE ('%s' got no -i)", cmd))
    end
    ctx.cmd = cmd
    ctx.opts = opts
    ctx.no_progress = opts["no-progress"]
    ctx.tty = not opts["no-progress"] and ctx.stderr == io.stderr and isatty(2)
    return M.commands[cmd].run(ctx, pos)
  end)
  if ok and stdout == checked_stdout then   -- what is still buffered
    local fok, ferr = io.stdout:flush()
    if not fok then ok, status = false, "stdout: " .. tostring(ferr) end
  end
  if ok then return status end
  if getmetatable(status) == UsageError then
    ctx.stderr:write("arxivdigest: " .. status.msg .. "\n")
    return 2
  end
  local msg = tostring(status)
  ctx.stderr:write("arxivdigest: " .. msg .. ctx:moved_hint(msg) .. "\n")
  return 1
end

return M
