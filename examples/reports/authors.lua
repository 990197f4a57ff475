-- Author watch list: the papers of the people I follow, one section per
-- author, newest first. Names are matched tolerantly ("A. Vedaldi",
-- "Vedaldi, Andrea", diacritics folded) but a hyphenated given name is one
-- name ("Li-Heng Chen" is not "Li Chen").
--
--   arxivdigest report examples/reports/authors.lua -i archive.adx --settings examples/reports/interests.lua
--   arxivdigest report examples/reports/authors.lua -i archive.adx --arg authors='Kaiming He; Vedaldi, Andrea'
--
-- Settings (a settings file or --arg):
--   authors  the names (a list, or one string split on ";")
--   since    YYYY-MM-DD (or YYYY-MM, YYYY): only papers of a digest day from then on
--   latest   list at most this many papers per author, newest first (default 10;
--            0 lists them all); the section title gives the author's total
-- With an index as input, each name becomes a query the index runs (the
-- surname in the authors and, for a full given name, that name or its
-- initial); the exact name rule then runs on those hits only. A paper
-- author written as a bare surname (a split "Jindong; Chen") is therefore
-- not found for a followed name with a full given name.
-- Works in the sandbox (--sandbox): it only uses args.source and ad.filter.

-- A list setting: a table from a settings file, or a string from --arg.
local function list(v, seps)
  local out = {}
  if type(v) == "table" then
    for _, x in ipairs(v) do out[#out + 1] = tostring(x) end
  elseif v ~= nil then
    for item in tostring(v):gmatch("[^" .. seps .. "]+") do
      item = item:match("^%s*(.-)%s*$")
      if item ~= "" then out[#out + 1] = item end
    end
  end
  return out
end

-- A query (tree) every paper by `name` matches: the surname in the
-- authors, and, when the name has a full first given name, that name or
-- its initial ("Li-Heng Chen": au:"chen" (au:"li-heng" OR au:"l")).
local function author_tree(f, name)
  local n = f.parse_name(name)
  local tree = {type = "phrase", field = "au", text = n.last}
  local g = n.given[1]
  if g and #g[1] > 1 then
    tree = {type = "and", tree, {type = "or",
      {type = "phrase", field = "au", text = table.concat(g, "-")},
      {type = "term", field = "au", text = g[1]:sub(1, 1)}}}
  end
  return tree
end

return function(ad, args)
  local f = ad.filter
  local follow = list(args.authors, ";")
  if #follow == 0 then
    error("authors.lua: no authors to follow: --settings examples/reports/interests.lua "
      .. "or --arg authors='Kaiming He; Vedaldi, Andrea'", 0)
  end
  local latest = math.tointeger(tonumber(args.latest or 10))
  if not latest or latest < 0 then error("authors.lua: latest must be a number of papers (0: all)", 0) end
  local src = args.source
  if args.since then src = src:where(f.date(args.since, nil)) end

  local one = {}
  for i, name in ipairs(follow) do one[i] = f.authors{name} end

  local function render(papers, _, write)
    write("# Author watch list\n\n")
    if args.since then write(("Papers since %s.\n\n"):format(args.since)) end
    -- papers is newest first: split it by followed name
    local of = {}
    for i = 1, #follow do of[i] = {} end
    for _, p in ipairs(papers) do
      for i = 1, #follow do
        if one[i](p) then of[i][#of[i] + 1] = p end
      end
    end
    local quiet = {}
    for i, name in ipairs(follow) do
      local mine = of[i]
      if #mine == 0 then
        quiet[#quiet + 1] = name
      else
        write(("## %s (%d)\n\n"):format(name, #mine))
        local shown = (latest == 0 or latest > #mine) and #mine or latest
        for k = 1, shown do
          local p = mine[k]
          write(("- %s [%s](https://arxiv.org/abs/%s) %s\n  %s\n"):format(p.date or "", p.id, p.id,
            (p.title or ""):gsub("%s+", " "), table.concat(p.authors or {}, ", ")))
        end
        if shown < #mine then write(("- ... and %d older\n"):format(#mine - shown)) end
        write("\n")
      end
    end
    if #quiet > 0 then write("No paper from: " .. table.concat(quiet, ", ") .. "\n") end
    write(("\n%d papers.\n"):format(#papers))
  end

  -- every followed author's papers, newest first (what -f jsonl, csv...
  -- write), rendered in one section per followed name
  local any = {type = "or"}
  for i, name in ipairs(follow) do any[i] = author_tree(f, name) end
  return src:query(any):where(f.authors(follow)):sort("date", "desc"):format(render)
end
