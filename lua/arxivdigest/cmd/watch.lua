--- `arxivdigest watch run|test|status|reset FILE`: standing watches
-- (arxivdigest.watch). Registered by cli.lua (M.EXTERNAL).

local format, concat = string.format, table.concat
local ipairs, tostring = ipairs, tostring

local function usage_error(msg) return require("arxivdigest.cli").usage_error(msg) end

local ACTIONS = {run = true, test = true, status = true, reset = true}

local function load_cfg(path)
  return require("arxivdigest.watch").load(path)
end

local function check_watch(cfg, name)
  if not name then return end
  for _, w in ipairs(cfg.watches) do if w.name == name then return end end
  local list = {}
  for _, w in ipairs(cfg.watches) do list[#list + 1] = w.name end
  usage_error(format("no watch named '%s' in %s (watches: %s)", name, cfg.path, concat(list, ", ")))
end

local function summary_line(r)
  if r.error then return format("%s: FAILED: %s", r.name, r.error) end
  local s = format("%s: %d new, %d revised", r.name, #r.new, #r.revised)
  if (r.more or 0) > 0 then s = s .. format(" (%d more over the limit of %d)", r.more, r.watch.limit) end
  if r.first then s = s .. format(" (first run: since %s)", tostring(r.from)) end
  return s
end

local function run(ctx, pos)
  local action, file = pos[1], pos[2]
  if not action or not ACTIONS[action] then
    usage_error(format("'watch' needs an action: run, test, status or reset (got %s)",
      action and ("'" .. action .. "'") or "none"))
  end
  if not file then usage_error(format("'watch %s' needs the watch file (usage: arxivdigest watch %s FILE)",
    action, action)) end
  if #pos > 2 then usage_error("'watch' takes one watch file (extra: " .. concat(pos, " ", 3) .. ")") end
  local o = ctx.opts
  if o.since and action ~= "reset" then usage_error("--since is for 'watch reset' (a watch's own since = \"...\" "
    .. "sets its first run)") end
  if o.full and action ~= "run" then usage_error("--full is for 'watch run'") end
  if o.index then usage_error("'watch' reads the archive and the index its watch file names (no -i)") end
  if o.limit then usage_error("'watch' takes each watch's limit from its watch file (no -n)") end
  if (o.output or o.format) and action ~= "test" then
    usage_error(format("'watch %s' writes the outputs of its watch file (-o and -f are for 'watch test')", action))
  end
  local watch = require "arxivdigest.watch"
  local render = require "arxivdigest.watch.render"
  local cfg = load_cfg(file)
  check_watch(cfg, o.watch)
  local function log(msg) ctx:warn(msg) end
  if action == "run" then
    local t0 = require("arxivdigest.core").now()
    local report = watch.run(cfg, {only = o.watch, no_wait = o["no-wait"], full = o.full, log = log})
    for _, r in ipairs(report.watches) do ctx:warn(summary_line(r)) end
    for _, out in ipairs(report.outputs) do
      local where = out.path or "sendmail"
      if out.error then ctx:warn(format("output %s (%s): FAILED: %s", where, out.format, out.error))
      elseif out.entries then ctx:warn(format("wrote %s (%d entries)", where, out.entries))
      else
        local parts = {}
        if out.path then parts[#parts + 1] = "wrote " .. out.path end
        if out.sent then parts[#parts + 1] = "sent with " .. tostring(out.sendmail) end
        if #parts == 0 then parts[1] = "nothing to send (" .. out.format .. ")" end
        ctx:warn(concat(parts, ", "))
      end
    end
    if report.state_kept then ctx:warn("the state was not changed: the next run delivers these papers again") end
    ctx:warn(format("run %d done in %.2f s (%s papers, %d pending file%s)", report.run,
      require("arxivdigest.core").now() - t0, require("arxivdigest.cli").thousands(report.archive.papers),
      report.archive.pending, report.archive.pending == 1 and "" or "s"))
    return report.failed > 0 and 1 or 0
  elseif action == "test" then
    local report = watch.run(cfg, {dry = true, only = o.watch, log = log})
    local fmt = ctx:output_format("text")
    local text
    if fmt == "text" then text = render.text(report)
    elseif fmt == "markdown" then text = render.markdown(report)
    elseif fmt == "html" then text = render.html(report)
    elseif fmt == "jsonl" then text = render.jsonl(report)
    elseif fmt == "atom" then text = render.atom(report, {keep = watch.DEFAULT_KEEP})
    elseif fmt == "email" or fmt == "eml" then text = render.email(report, {to = nil})
    else usage_error(format("'watch test' writes text, markdown, html, jsonl, atom or email, not '%s'", fmt)) end
    ctx:write_text(text)
    for _, r in ipairs(report.watches) do ctx:warn(summary_line(r)) end
    return report.failed > 0 and 1 or 0
  elseif action == "status" then
    local report, st = watch.status(cfg)
    local out = {}
    out[#out + 1] = format("watch file  %s", cfg.abspath)
    out[#out + 1] = format("state       %s%s", cfg.state,
      st.at and format(" (run %d, %s)", st.run, st.at) or " (no run yet)")
    out[#out + 1] = format("archive     %s (%s papers, newest digest day %s)", concat(cfg.archive, " "),
      require("arxivdigest.cli").thousands(report.archive.papers), tostring(report.newest))
    out[#out + 1] = format("index       %s (%d file%s not in it yet)", cfg.index, report.archive.pending,
      report.archive.pending == 1 and "" or "s")
    for _, r in ipairs(report.watches) do
      local ws = st.watches[r.name]
      local nn, nr, last = 0, 0, nil
      for _, d in ipairs(ws and ws.delivered or {}) do
        if d.revised then nr = nr + 1 else nn = nn + 1 end
        if d.day and (not last or d.day > last) then last = d.day end
      end
      out[#out + 1] = ""
      out[#out + 1] = format("%s (%s)", r.name, r.kind)
      out[#out + 1] = format("  last run    %s", ws and ws.at
        or (ws and ws.since and ("reset; next run since " .. ws.since)) or "never")
      out[#out + 1] = format("  delivered   %d new, %d revised%s", nn, nr,
        last and (", newest digest day " .. last) or "")
      if r.error then out[#out + 1] = "  next        FAILS: " .. r.error
      else
        out[#out + 1] = format("  next        %d new, %d revised%s%s", #r.new, #r.revised,
          (r.more or 0) > 0 and format(" (+%d over the limit)", r.more) or "",
          r.first and format(" (first run: since %s)", tostring(r.from)) or "")
      end
    end
    ctx:write_text(concat(out, "\n") .. "\n")
    return report.failed > 0 and 1 or 0
  elseif action == "reset" then
    if o.since and not watch.is_date(o.since) then
      usage_error(format("option '--since' needs a day YYYY-MM-DD (got '%s')", o.since))
    end
    local done = watch.reset(cfg, {watch = o.watch, since = o.since, no_wait = o["no-wait"]})
    for _, name in ipairs(done) do
      ctx:warn(format("reset '%s': its next run delivers %s", name,
        o.since and ("the papers first seen since " .. o.since) or "the papers of the newest digest day"))
    end
    return 0
  end
end

return {
  synopsis = "watch run|test|status|reset FILE",
  summary = "Standing watches: deliver what is new, once",
  doc = "FILE is a watch file (Lua, run in a sandbox) returning {archive =, index =, watches = {...},\n"
    .. "outputs = {...}}; see the README, \"Standing watches\".\n"
    .. "run: update the index, deliver what is new to every output, remember it (the state).\n"
    .. "test: what a run would deliver now (on stdout, -f text|markdown|html|jsonl|atom|email);\n"
    .. "changes nothing. status: each watch's last run, deliveries and next candidates.\n"
    .. "reset: forget what a watch (--watch) or every watch delivered; its next run starts over\n"
    .. "(the newest digest day, or --since DAY). Exit status 1 when a watch or an output failed.",
  args = {"ACTION", "FILE"},
  -- the common options it takes (arxivdigest.cli refuses the others)
  takes = {"output", "format", "warnings", "no-progress"},
  refuse = {index = "it reads the archive and the index its watch file names",
            limit = "it takes each watch's limit from its watch file"},
  formats = {"text", "markdown", "html", "jsonl", "atom", "email"},
  templates = false,
  options = {
    {long = "watch", short = "w", value = "NAME", doc = "only this watch (run, test, reset)"},
    {long = "since", value = "DAY", doc = "reset: the next run delivers the papers first seen since DAY"},
    {long = "no-wait", doc = "fail at once when another run holds the lock (default: wait)"},
    {long = "full", doc = "run: bring the saved index up to date now (otherwise only when needed)"},
  },
  example = "arxivdigest watch run examples/watch/watches.lua",
  run = run,
}
