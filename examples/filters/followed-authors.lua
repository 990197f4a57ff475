-- The people I follow (initials, "Surname, Given" and diacritics are fine;
-- a hyphenated given name is one name: "Li-Heng Chen" is not "Li Chen").
--
--   arxivdigest filter examples/filters/followed-authors.lua -i archive.adx --explain
--
-- The names are the list below, or the `authors` of the table the script
-- is called with (ad.script.run(path, opts, {authors = {...}})): a list (a
-- settings file), or one string split on ";" as the reports split it
-- (--arg authors='Kaiming He; Vedaldi, Andrea': a comma is part of a
-- "Surname, Given" name). The index
-- runs a query every paper by these people matches (their surnames and,
-- for a full given name, that name or its initial); the exact name rule
-- (f.authors) then runs on its hits only, not on every paper.
local f = require "arxivdigest.filter"

local settings = ... or {}

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

local FOLLOW = {"A. Vedaldi", "Gagne, Christian", "Li-Heng Chen"}
if settings.authors ~= nil then
  FOLLOW = list(settings.authors, ";")
  if #FOLLOW == 0 then
    error("followed-authors.lua: no author to follow in 'authors' "
      .. "(--arg authors='Kaiming He; Vedaldi, Andrea')", 0)
  end
end

local any = {type = "or"}
for i, name in ipairs(FOLLOW) do
  local n = f.parse_name(name)
  local tree = {type = "phrase", field = "au", text = n.last}
  local g = n.given[1]
  if g and #g[1] > 1 then                -- "Li-Heng Chen": au:"chen" (au:"li-heng" OR au:l)
    tree = {type = "and", tree, {type = "or",
      {type = "phrase", field = "au", text = table.concat(g, "-")},
      {type = "term", field = "au", text = g[1]:sub(1, 1)}}}
  end
  any[i] = tree
end

return f.query(any) * f.authors(FOLLOW)
