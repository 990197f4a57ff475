-- Revised papers: new versions (v2 and later) of the papers I follow.
-- With a saved index as input (-i archive.adx) each paper's history of
-- versions, DOI and journal references is listed too.
--
--   arxivdigest report examples/reports/revised.lua [--arg ids=ID,ID,...] [PATH...]

local FOLLOW = {"1910.08681", "1910.08695", "1910.08728", "1910.08787", "1910.11126", "2005.09623"}

return function(ad, args)
  local f = ad.filter
  local ids = FOLLOW
  if args.ids then
    ids = {}
    for id in args.ids:gmatch("[^,%s]+") do ids[#ids + 1] = id end
  end

  local function render(papers, _, write)
    write("# Revised papers I follow\n\n")
    if #papers == 0 then write("No new version of the " .. #ids .. " papers followed.\n") end
    for _, p in ipairs(papers) do
      write(("- %s v%d (updated %s, first version %s): %s\n"):format(p.id, p.version,
        (p.updated or "?"):sub(1, 10), (p.published or "?"):sub(1, 10), (p.title or ""):gsub("%s+", " ")))
      local ok, history = pcall(function() return p.history end)
      if ok and type(history) == "table" then
        for _, h in ipairs(history) do
          write(("  - %s\n"):format(type(h) == "table" and table.concat({h.date or "", h.what or h.kind or "",
            tostring(h.version or h.value or "")}, " ") or tostring(h)))
        end
      end
    end
  end

  return args.source
    :where(f.id(ids) * f.version(2))
    :sort("version", "desc")
    :format(render)
end
