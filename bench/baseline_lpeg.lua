-- bench/baseline_lpeg.lua: a catalog-file parser written as one LPeg grammar,
-- the second baseline of `make bench`.  It builds one table per paper with
-- the same fields and text rules as bench/baseline_patterns.lua: continuation
-- lines joined, whitespace collapsed, "None" dropped, dates in ISO 8601 UTC.
--
--   local B = dofile "bench/baseline_lpeg.lua"
--   local papers = B.parse(text, "copy0/01/20190102.md")   -- array of tables

local lpeg = require "lpeg"
local string, tonumber, type, error = string, tonumber, type, error

local P, S, R, C, Cs, Ct, Cg, Carg = lpeg.P, lpeg.S, lpeg.R, lpeg.C, lpeg.Cs, lpeg.Ct, lpeg.Cg, lpeg.Carg

local M = { name = "lpeg" }

local sp    = S" \t"
local nl    = P"\r"^-1 * P"\n"
local eol   = sp^0 * (nl + -P(1))
local rest  = (1 - S"\r\n")^0
local ch    = 1 - S" \t\r\n"
-- a line break followed by an indented, non-blank line continues the field
local cont  = nl * sp^1 * #ch
local ws    = (sp + cont)^1
local digit = R"09"

-- a field value: words separated by whitespace runs (across continuation
-- lines), collapsed to one space, trimmed
-- (a single space is copied as it is: no capture, which keeps Cs cheap)
local gap   = P" " * #ch + (ws * #ch) / " "
-- fast path: words already separated by single spaces, no continuation line
local plain = C(ch^1 * (P" " * ch^1)^0) * #(sp^0 * (nl * -sp + -P(1)))
local value = sp^0 * (plain + Cs(ch^1 * (gap * ch^1)^0))
-- a value that is "None" or empty gives no capture
local none  = sp^0 * P"None" * #eol + #eol
local function opt(name) return none + Cg(value, name) end

-- list items separated by commas (authors, categories)
local ich   = 1 - S", \t\r\n*"
local igap  = P" " * #ich + (ws * #ich) / " "
local iplain = C(ich^1 * (P" " * ich^1)^0) * #(sp^0 * (P"," + nl * -sp + -P(1)))
local item  = iplain + Cs(ich^1 * (igap * ich^1)^0)
local sep   = ws^-1 * P"," * ws^-1
local authors = Ct(item^-1 * (sep * item^-1)^0)
-- categories, by the core's rule (ad_cat_next): the words between commas,
-- semicolons, whitespace and "**", less a name after a lone "-" up to the
-- next comma ("eess.IV - Image and Video Processing" is eess.IV); the bold
-- one is also kept under the key "primary" (words over 92 bytes: finish)
local csep  = S",; \t*" + cont
local cword = C((1 - S",; \t\r\n*")^1)
local cname = P"-" * #(csep + eol) * ((1 - S",\r\n") + cont)^0
local cbold = P"**" * Cg(cword, "primary") * lpeg.Cb("primary") * P"**"
local categories = Ct((cbold + csep^1 + cname + cword)^0)

local d2, d4 = digit * digit, digit * digit * digit * digit
local isotime = Cs(d4 * "-" * d2 * "-" * d2 * (S" T" / "T") * d2 * ":" * d2 * ":" * d2 *
  ((P"+00:00" + P"Z") / "Z")) * #eol
local function time(name) return none + Cg(isotime + value, name) end

local abs_url = P"http" * P"s"^-1 * P"://arxiv.org/abs/"
local idval   = Cg(C(abs_url * (1 - S" \t\r\n")^1), "abs_url")

local function field(name, pat) return P"- **" * P(name) * P"**:" * sp^0 * pat * eol end

local fields =
    field("Arxiv ID", idval)
  + field("DOI", opt "doi")
  + field("Categories", Cg(categories, "categories"))
  + field("Links", P"[PDF](" * Cg(C((1 - S")\r\n")^0), "pdf_url") * P")" * rest)
  + field("Published", time "published")
  + field("Updated", time "updated")
  + field("Authors", Cg(authors, "authors"))
  + field("Comment", opt "comment")
  + field("Journal", opt "journal")
  + field("Summary", Cg(value, "abstract"))
  -- an unknown field, with its continuation lines
  + P"- **" * rest * (cont * rest)^0 * eol

local title   = P"### " * Cg(value, "title") * eol
local other   = -P"### " * (rest * nl + (1 - S"\r\n")^1 * -P(1))
local idpat   = abs_url * C((1 - P"v" * digit^1 * -P(1))^1) * (P"v" * (digit^1 / tonumber))^-1

local function finish(p)
  local cats = p.categories
  if cats then
    p.primary_category = cats.primary or cats[1]
    cats.primary = nil
    for i = #cats, 1, -1 do if #cats[i] > 92 then table.remove(cats, i) end end
  else
    p.categories = {}
  end
  if not p.authors then p.authors = {} end
  local url = p.abs_url
  if url then p.id, p.version = lpeg.match(idpat, url) end
  return p
end

local record  = Ct(Cg(Carg(1), "date") * title * (fields + other)^0) / finish
local file    = Ct((record + other)^0) * -P(1)

local header_date = (1 - S"\n" - d4 * "-" * d2 * "-" * d2)^0 * C(d4 * "-" * d2 * "-" * d2)

-- Parse one catalog file's text; returns an array of paper tables.
function M.parse(text, source)
  if type(text) ~= "string" then
    error("bad argument #1 to 'parse' (string expected, got " .. type(text) .. ")", 2)
  end
  local date = lpeg.match(header_date, text)
  if not date and source then
    local y, m, d = string.match(source, "(%d%d%d%d)(%d%d)(%d%d)%.md$")
    if y then date = y .. "-" .. m .. "-" .. d end
  end
  return lpeg.match(file, text, 1, date) or error((source or "text") .. ": no match", 2)
end

return M
