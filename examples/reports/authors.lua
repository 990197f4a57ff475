-- Author watch list: the papers of the people I follow, one section per
-- author, newest first. Names are matched tolerantly ("A. Vedaldi",
-- "Vedaldi, Andrea", diacritics folded).
--
--   arxivdigest report examples/reports/authors.lua [--arg "authors=Name;Name"] [PATH...]

local FOLLOW = {"Li-Heng Chen", "A. Vedaldi", "Gagne, Christian", "Xiaofei Xie", "Kaiming He"}

return function(ad, args)
  local f = ad.filter
  local follow = FOLLOW
  if args.authors then
    follow = {}
    for name in args.authors:gmatch("[^;]+") do
      name = name:match("^%s*(.-)%s*$")
      if name ~= "" then follow[#follow + 1] = name end
    end
  end
  local one = {}
  for i, name in ipairs(follow) do one[i] = f.authors{name} end

  local function render(papers, opts, write)
    write("# Author watch list\n\n")
    local seen = {}
    for _, g in ipairs(opts.groups or {}) do
      seen[g.key] = true
      write(("## %s (%d)\n\n"):format(g.key, #g.papers))
      for _, p in ipairs(g.papers) do
        write(("- %s [%s](https://arxiv.org/abs/%s) %s\n  %s\n"):format(p.date or "", p.id, p.id,
          (p.title or ""):gsub("%s+", " "), table.concat(p.authors or {}, ", ")))
      end
      write("\n")
    end
    local quiet = {}
    for _, name in ipairs(follow) do if not seen[name] then quiet[#quiet + 1] = name end end
    if #quiet > 0 then write("No paper from: " .. table.concat(quiet, ", ") .. "\n") end
    write(("\n%d papers.\n"):format(#papers))
  end

  return args.source
    :where(f.authors(follow))
    :sort("date", "desc")
    :group_by(function(p)
      local keys = {}
      for i, name in ipairs(follow) do
        if one[i](p) then keys[#keys + 1] = name end
      end
      return keys
    end, {order = "key"})
    :format(render)
end
