-- Daily digest of my interests: categories + keywords + followed authors,
-- ranked (a title match counts more than an abstract match, a followed
-- author most).
--
--   arxivdigest report examples/reports/daily.lua [--arg day=YYYY-MM-DD] [PATH...]
--
-- Without --arg day, the digest is for the latest day of the input.
-- Works in the sandbox (--sandbox): it only uses args.source and ad.filter.

local INTERESTS = {
  categories = {"cs.CV", "eess.IV"},
  keywords = {"segmentation", "depth", "diffusion", "nerf", "3d", "video"},
  authors = {"Li-Heng Chen", "A. Vedaldi", "Gagne, Christian"},
  weights = {title = 3, abstract = 1, author = 5, primary = 1},
}

local function first_sentence(s)
  s = (s or ""):gsub("%s+", " ")
  local one = s:match("^(.-[%.!?])%s") or s
  if #one > 240 then one = one:sub(1, 237) .. "..." end
  return one
end

return function(ad, args)
  local f = ad.filter
  local day = args.day
  if not day then
    for p in args.source:papers() do
      if p.date and (day == nil or p.date > day) then day = p.date end
    end
  end
  if not day then error("daily.lua: the input holds no dated paper") end

  -- one matcher per keyword and per author, to score and to say why
  local in_title, in_abstract, by_author = {}, {}, {}
  for i, k in ipairs(INTERESTS.keywords) do
    in_title[i] = f.keywords({k}, {field = "title"})
    in_abstract[i] = f.keywords({k}, {field = "abstract"})
  end
  for i, a in ipairs(INTERESTS.authors) do by_author[i] = f.authors{a} end
  local primary = f.primary(INTERESTS.categories)
  local W = INTERESTS.weights

  local function reasons(p)
    local why, score = {}, 0
    for i, k in ipairs(INTERESTS.keywords) do
      if in_title[i](p) then score = score + W.title; why[#why + 1] = k .. " (title)"
      elseif in_abstract[i](p) then score = score + W.abstract; why[#why + 1] = k end
    end
    for i, a in ipairs(INTERESTS.authors) do
      if by_author[i](p) then score = score + W.author; why[#why + 1] = "author " .. a end
    end
    if primary(p) then score = score + W.primary end
    return score, why
  end

  local function render(papers, opts, write)
    write(("# Daily digest %s\n\n"):format(opts.day))
    write(("%d papers match my interests (%s; %s; %s).\n\n"):format(#papers,
      table.concat(INTERESTS.categories, ", "), table.concat(INTERESTS.keywords, ", "),
      table.concat(INTERESTS.authors, ", ")))
    for i, p in ipairs(papers) do
      local score, why = reasons(p)
      write(("%d. **%s** [%s](%s) score %d: %s\n"):format(i, (p.title or ""):gsub("%s+", " "), p.id,
        p.abs_url or ("https://arxiv.org/abs/" .. p.id), score, table.concat(why, ", ")))
      write(("   > %s\n"):format(first_sentence(p.abstract)))
    end
  end

  return args.source
    :where(f.date(day) * f.category(INTERESTS.categories)
           * (f.keywords(INTERESTS.keywords) + f.authors(INTERESTS.authors)))
    :rank(function(p) return (reasons(p)) end)
    :format(render, {day = day})
end
