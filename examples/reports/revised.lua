-- Revised papers: new versions (v2 and later) of the papers I follow,
-- highest version first (then by arXiv id, lowest first). With a saved index as input (-i archive.adx) each
-- paper's history (new versions, DOI and journal references seen in the
-- archive) is listed too.
--
--   arxivdigest report examples/reports/revised.lua -i archive.adx --settings examples/reports/interests.lua
--   arxivdigest report examples/reports/revised.lua -i archive.adx --arg ids=1512.03385,1703.06870
--
-- Settings (a settings file or --arg):
--   ids  the papers I follow (a list, or one string split on "," ";" or
--        spaces); any id form: 1512.03385, 1512.03385v2, arXiv:..., a URL
-- The ids and the version run in the index (or, on digest files, in C).
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

return function(ad, args)
  local f = ad.filter
  local ids = list(args.ids, ",; ")
  if #ids == 0 then
    error("revised.lua: no papers to follow: --settings examples/reports/interests.lua "
      .. "or --arg ids=1512.03385,1703.06870", 0)
  end

  local function render(papers, _, write)
    write("# Revised papers I follow\n\n")
    if #papers == 0 then
      write(#ids == 1 and "No new version of the paper followed.\n"
        or "No new version of the " .. #ids .. " papers followed.\n")
    end
    for _, p in ipairs(papers) do
      write(("- %s v%d (updated %s, first version %s): %s\n"):format(p.id, p.version,
        (p.updated or "?"):sub(1, 10), (p.published or "?"):sub(1, 10), (p.title or ""):gsub("%s+", " ")))
      local ok, history = pcall(function() return p.history end)
      if ok and type(history) == "table" then
        for _, h in ipairs(history) do
          local what = h.event == "version" and "v" .. tostring(h.version)
            or h.event == "doi" and "DOI " .. tostring(h.doi)
            or h.event == "journal" and "journal " .. tostring(h.journal) or tostring(h.event)
          write(("  - %s %s\n"):format(h.date or "", what))
        end
      end
    end
  end

  -- highest version first, then by arXiv id (lowest first), then newest
  -- digest day: one order whatever the input (a folder, an index)
  local function before(a, b)
    if a.version ~= b.version then return (a.version or 0) > (b.version or 0) end
    if a.id ~= b.id then return tostring(a.id) < tostring(b.id) end
    return tostring(a.date or "") > tostring(b.date or "")
  end
  return args.source
    :where(f.id(ids) * f.version(2))
    :sort(before)
    :format(render)
end
