-- For me: the day's papers ranked against my library (what I have read and
-- kept), the top 20, each with why: the library papers it is closest to
-- and the words and word pairs that weigh most in its favour. The ranking
-- is idx:recommend's (see the README, "Recommendations").
--
--   arxivdigest report examples/reports/for-me.lua -i archive.adx --arg library=my-library.bib
--   arxivdigest report examples/reports/for-me.lua -i archive.adx --settings examples/reports/interests.lua
--
-- Settings (a settings file or --arg):
--   library  a BibTeX export (Zotero, JabRef, arXiv, Google Scholar) or a
--            file of arXiv ids, one a line (not in the sandbox: it reads a file)
--   ids      papers I like, as arXiv ids in any form (a list, or one string
--            split on "," and ";"): instead of a library, or besides it
--   dislike  papers I do not want more of (same forms as ids)
--   day      YYYY-MM-DD (default: the newest digest day of the input)
--   limit    how many (default 20)
-- Works in the sandbox (--sandbox) with ids (no library file).

-- A list setting: a table from a settings file, or a string from --arg.
local function list(v)
  local out = {}
  if type(v) == "table" then
    for _, x in ipairs(v) do out[#out + 1] = tostring(x) end
  elseif v ~= nil then
    for item in tostring(v):gmatch("[^,;%s]+") do out[#out + 1] = item end
  end
  return out
end

local function first_sentence(s)
  s = (s or ""):gsub("%s+", " ")
  local one = s:match("^(.-[%.!?])%s") or s
  if #one > 240 then one = one:sub(1, 237) .. "..." end
  return one
end

return function(ad, args)
  local liked = list(args.ids)
  local library = liked
  if args.library ~= nil then
    if not ad.library then
      error("for-me.lua: a library file cannot be read in the sandbox: give ids instead", 0)
    end
    local lib, err = ad.library(tostring(args.library))
    if not lib then error("for-me.lua: " .. tostring(err), 0) end
    if #liked == 0 then library = lib      -- matched by id, DOI or title
    else for _, id in ipairs(lib:ids()) do liked[#liked + 1] = id end end
  end
  if library == liked and #liked == 0 then
    error("for-me.lua: no library: give --arg library=FILE (BibTeX or ids) or ids "
      .. "(--settings examples/reports/interests.lua lists some)", 0)
  end
  local limit = tonumber(args.limit) or 20
  local src = args.source
  local day = args.day
  if not day then
    local newest = src:sort("date", "desc"):limit(1):collect()[1]
    day = newest and newest.date
  end
  if not day then error("for-me.lua: the input holds no dated paper", 0) end

  -- opts.recommend: idx:recommend's info, as the pipeline ran it: the
  -- library papers found in the input and the entries (or ids) not found
  local function render(papers, opts, write)
    local info = opts.recommend or {}
    local nlib, missing = info.library or 0, #(info.unmatched or {})
    write(("# For me, %s\n\n"):format(opts.day))
    write(("The %d papers of the day closest to my library of %d %s, best first.")
      :format(#papers, nlib, nlib == 1 and "paper" or "papers"))
    if missing > 0 then
      write((" %d more %s of the library %s not in the input."):format(missing,
        missing == 1 and "entry" or "entries", missing == 1 and "is" or "are"))
    end
    write("\n\n")
    for i, p in ipairs(papers) do
      write(("%d. **%s** [%s](https://arxiv.org/abs/%s) score %.3g\n"):format(i,
        (p.title or ""):gsub("%s+", " "), p.id, p.id, opts.scores[i] or 0))
      write(("   > %s\n"):format(first_sentence(p.abstract)))
      if opts.notes and opts.notes[p] then write(("   Why: %s\n"):format(opts.notes[p])) end
    end
  end

  return src
    :recommend(library, {query = "date:" .. day, negative = list(args.dislike), explain = true})
    :limit(limit)
    :format(render, {day = day})
end
