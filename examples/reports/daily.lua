-- Daily digest of my interests: the papers of one day in my categories that
-- match my keywords or are by authors I follow, ranked (a keyword in the
-- title counts more than in the abstract, a followed author most), each
-- with the reasons it was picked.
--
--   arxivdigest report examples/reports/daily.lua -i archive.adx --settings examples/reports/interests.lua
--   arxivdigest report examples/reports/daily.lua --arg keywords='nerf, depth' --arg authors='A. Vedaldi; K. He'
--
-- Settings (a settings file or --arg; lists are tables, or strings split
-- on ";" and, but for authors, ","):
--   day         YYYY-MM-DD (default: the latest day of the input)
--   categories  any of them, cross-lists included (default: all)
--   keywords    whole words or phrases, case and diacritics folded
--   authors     names as "Kaiming He", "K. He" or "He, Kaiming"
--   weights     {title = 3, abstract = 1, author = 5, primary = 1}
-- With an index as input, the day, the categories and a query that every
-- picked paper matches (the keywords, the followed authors' surnames) run
-- in the index; the exact keyword and author rules then run on its few hits.
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

local function first_sentence(s)
  s = (s or ""):gsub("%s+", " ")
  local one = s:match("^(.-[%.!?])%s") or s
  if #one > 240 then one = one:sub(1, 237) .. "..." end
  return one
end

-- A query (tree) every paper by `name` matches: the surname in the
-- authors, and, when the name has a full first given name, that name or
-- its initial ("Li-Heng Chen": au:"chen" (au:"li-heng" OR au:"l")).
-- f.authors then applies the exact rule to the hits.
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
  local I = {
    categories = list(args.categories, ",; "),
    keywords = list(args.keywords, ",;"),
    authors = list(args.authors, ";"),
  }
  local W = {title = 3, abstract = 1, author = 5, primary = 1}
  if type(args.weights) == "table" then
    for k, v in pairs(args.weights) do W[k] = tonumber(v) or W[k] end
  end
  if #I.keywords == 0 and #I.authors == 0 then
    error("daily.lua: no interests: give keywords and/or authors, e.g. "
      .. "--settings examples/reports/interests.lua or --arg keywords='nerf, depth'", 0)
  end

  local src = args.source
  if #I.categories > 0 then src = src:where(f.category(I.categories)) end
  local day = args.day
  if not day then
    local newest = src:sort("date", "desc"):limit(1):collect()[1]
    day = newest and newest.date
  end
  if not day then error("daily.lua: the input holds no dated paper", 0) end

  -- one matcher per keyword and per author, to score and to say why
  local in_title, in_abstract, by_author = {}, {}, {}
  local wanted = {type = "or"}
  for i, k in ipairs(I.keywords) do
    in_title[i] = f.keywords({k}, {field = "title"})
    in_abstract[i] = f.keywords({k}, {field = "abstract"})
    wanted[#wanted + 1] = {type = "phrase", text = k}
  end
  for i, a in ipairs(I.authors) do
    by_author[i] = f.authors{a}
    wanted[#wanted + 1] = author_tree(f, a)
  end
  local primary = #I.categories > 0 and f.primary(I.categories) or function() return false end

  local function reasons(p)
    local why, score = {}, 0
    for i, k in ipairs(I.keywords) do
      if in_title[i](p) then score = score + W.title; why[#why + 1] = k .. " (title)"
      elseif in_abstract[i](p) then score = score + W.abstract; why[#why + 1] = k end
    end
    for i, a in ipairs(I.authors) do
      if by_author[i](p) then score = score + W.author; why[#why + 1] = "author " .. a end
    end
    if primary(p) then score = score + W.primary end
    return score, why
  end

  local function render(papers, opts, write)
    write(("# Daily digest %s\n\n"):format(opts.day))
    local what = {}
    for _, k in ipairs{"categories", "keywords", "authors"} do
      if #I[k] > 0 then what[#what + 1] = table.concat(I[k], ", ") end
    end
    -- (nothing matched: was there a digest that day at all?)
    if #papers == 0 and #src:where(f.date(opts.day)):limit(1):collect() == 0 then
      write("No digest of that day in the archive.\n")
      return
    end
    write(("%d paper%s match%s my interests (%s).\n\n"):format(#papers, #papers == 1 and "" or "s",
      #papers == 1 and "es" or "", table.concat(what, "; ")))
    for i, p in ipairs(papers) do
      local score, why = reasons(p)
      write(("%d. **%s** [%s](%s) score %d: %s\n"):format(i, (p.title or ""):gsub("%s+", " "), p.id,
        p.abs_url or ("https://arxiv.org/abs/" .. p.id), score, table.concat(why, ", ")))
      write(("   > %s\n"):format(first_sentence(p.abstract)))
    end
  end

  local exact = #I.keywords > 0 and f.keywords(I.keywords) or nil
  if #I.authors > 0 then
    exact = exact and exact + f.authors(I.authors) or f.authors(I.authors)
  end
  return src
    :where(f.date(day))
    :query(wanted)
    :where(exact)
    :rank(function(p) return (reasons(p)) end)
    :format(render, {day = day})
end
