--- arxivdigest.names: the one rule for "is this author that person?",
-- used by filter.authors, the `au:"..."` phrases of queries run without an
-- index, and the recommendation/watch explanations.
--
--   names.parse("He, Kaiming")            --> {last = "he", given = {"kaiming"}}
--   names.same("Kaiming He", "K. He")     --> true
--
-- Names are folded like the index folds text (core.fold: lowercase,
-- diacritics dropped). The surname is the last word (with its particles:
-- "van der Maaten"; "Jr."/"II" belong to it), or what comes before a
-- comma. Given names are compared one by one, as many as both have:
--   * two full names must be equal: "Li" is not "Li-Heng", "Jean" is not
--     "Jean-Luc" (a hyphenated given name is one name);
--   * initials match the name they abbreviate part by part: "L.-H." and
--     "L. H." match "Li-Heng"; "K." matches "Kaiming";
--   * a single initial matches any given name with that first letter,
--     hyphenated or not: "L. Chen" matches "Li Chen" and "Li-Heng Chen"
--     (the initial cannot tell them apart);
--   * a missing given name (a bare surname, or one name fewer) does not
--     prevent a match: "Chen" matches every Chen.
-- names.follows(followed, author) is the rule for following someone: the
-- same, except that a paper author written as a bare surname (usually a
-- list split in the wrong place: "Po-Hsuan, Chen") does not match a
-- followed name that has a given name.
-- Surnames may differ by hyphens and spaces ("Juefei-Xu", "Juefei Xu").

local core = require "arxivdigest.core"

local type, ipairs = type, ipairs
local concat = table.concat
local fold = core.fold

local M = {}

local PARTICLES = {
  van = true, von = true, der = true, den = true, de = true, la = true, le = true,
  du = true, di = true, da = true, del = true, della = true, dos = true, das = true,
  ter = true, ten = true, ["van't"] = true, bin = true, al = true, el = true,
}
local SUFFIX = { ["jr."] = true, jr = true, ii = true, iii = true, iv = true }

-- a given-name word ("li-heng", "l.-h.", "k.") -> its parts {"li", "heng"}
local function given_parts(w)
  local parts = {}
  for p in w:gmatch("[^%.%-]+") do parts[#parts + 1] = p end
  return parts
end

--- Parses a name ("Kaiming He", "K. He", "He, Kaiming", "Laurens van der
-- Maaten") into {last = "he", given = {{"kaiming"}, ...}} (folded; each
-- given name is the list of its hyphen parts), or nil for an empty name.
function M.parse(name)
  if type(name) ~= "string" then return nil end
  name = fold(name)
  local last, given
  local a, b = name:match("^%s*(.-)%s*,%s*(.-)%s*$")
  if a and a ~= "" then
    last, given = a, b
  else
    local toks = {}
    for t in name:gmatch("[^%s]+") do toks[#toks + 1] = t end
    if #toks == 0 then return nil end
    local i = #toks
    while i > 1 and SUFFIX[toks[i]] do i = i - 1 end
    local j = i
    while j > 1 and PARTICLES[toks[j - 1]] do j = j - 1 end
    last = concat(toks, " ", j, i)
    given = concat(toks, " ", 1, j - 1)
  end
  local g = {}
  -- "L.-H." is one given name of two initials; "J. L." two given names
  for w in given:gsub("%.%s*%-", ".-"):gmatch("[^%s]+") do
    if w:find("%.%a") and not w:find("%-") then
      -- "J.L." written without spaces: two given names
      for p in w:gmatch("[^%.]+") do g[#g + 1] = {p} end
    else
      local parts = given_parts(w)
      if #parts > 0 then g[#g + 1] = parts end
    end
  end
  last = last:gsub("[%.]", ""):gsub("%s+", " ")
  if last == "" then return nil end
  return {last = last, given = g}
end

local function initials(parts)
  for _, p in ipairs(parts) do
    if #p > 1 then return false end
  end
  return true
end

-- may two given names (part lists) be the same name?
local function same_given(x, y)
  local nx, ny = #x, #y
  if nx == ny then
    local equal = true
    for i = 1, nx do if x[i] ~= y[i] then equal = false; break end end
    if equal then return true end
  end
  local ix, iy = initials(x), initials(y)
  if not (ix or iy) then return false end      -- two different full names
  if (ix and nx == 1) or (iy and ny == 1) then  -- one bare initial
    return x[1]:sub(1, 1) == y[1]:sub(1, 1)
  end
  if nx ~= ny then return false end
  for i = 1, nx do
    if x[i]:sub(1, 1) ~= y[i]:sub(1, 1) then return false end
  end
  return true
end

--- True when two author names may denote the same person (see above).
-- Either may be a name string or the result of names.parse.
function M.same(a, b)
  local pa = type(a) == "table" and a or M.parse(a)
  local pb = type(b) == "table" and b or M.parse(b)
  if not pa or not pb then return false end
  if pa.last ~= pb.last and pa.last:gsub("[%-%s]", "") ~= pb.last:gsub("[%-%s]", "") then
    return false
  end
  local ga, gb = pa.given, pb.given
  for i = 1, (#ga < #gb and #ga or #gb) do
    if not same_given(ga[i], gb[i]) then return false end
  end
  return true
end

--- Does the paper author `author` stand for the followed person
-- `followed`? names.same, but a bare-surname author matches only a bare
-- followed surname.
function M.follows(followed, author)
  local pf = type(followed) == "table" and followed or M.parse(followed)
  local pa = type(author) == "table" and author or M.parse(author)
  if not pf or not pa then return false end
  if #pf.given > 0 and #pa.given == 0 then return false end
  return M.same(pf, pa)
end

return M
