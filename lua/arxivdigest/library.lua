--- arxivdigest.library: a reader's library of papers, read from a BibTeX
-- export (Zotero, JabRef, arXiv, Google Scholar) or from a list of arXiv
-- ids, and matched against an index.
--
--   local lib = assert(ad.library("my-library.bib"))  -- a path or the text itself
--   lib:resolve(idx)          -- match the entries against an index
--   #lib                      -- papers found in the index (before resolve:
--                             -- the entries that name a paper)
--   lib:unmatched()           -- { {entry =, line =, reason =}, ... }
--   lib:warnings()            -- { "name:line: message", ... }
--   lib:ids()                 -- arXiv ids of the papers found (before
--                             -- resolve: the ids the entries give)
--   lib:entries()             -- every entry read: {type =, key =, line =,
--                             -- fields = {name = text}, id =, doi =, title =}
--                             -- (doi: the field's DOIs but arXiv's, cleaned
--                             -- as the outputs clean them, space-separated)
--
-- How an entry names a paper, in order: `eprint` (when `archivePrefix` or
-- `eprinttype` is absent or arXiv), an arXiv URL or `arXiv:ID` in `url`,
-- `note`, `journal`, `howpublished`, `booktitle` or `eprint`, a
-- `10.48550/arXiv.ID` DOI; then any other DOI (matched against the DOIs
-- of the index's records); then the title, normalised (case, accents,
-- punctuation and spacing folded: the tokenizer's rules; braces and $
-- dropped on both sides, as latex_text drops them here and
-- ad_title_unbrace in csrc/ad_recommend.c from the index's titles). The first that
-- the index knows wins; an entry none of them finds is unmatched, with the
-- reason.
--
-- The BibTeX reader is an LPeg grammar: @string macros (and the month
-- names), `#` concatenation, braced and quoted values, numbers, nested
-- braces, @comment and @preamble (skipped), entries without a key. The
-- file is cut into entries at lines starting with `@`; an entry that does
-- not parse is a warning with its line and the rest is read. LaTeX accents
-- ({\"u}, \'{e}, \c{c}, \ss...) become Unicode for matching and display.
--
-- A plain list of ids (one a line, `#` starts a comment) is read when the
-- text has no line starting with `@`.
local lpeg = require "lpeg"
local core = require "arxivdigest.core"

local type, error, ipairs, setmetatable, getmetatable, tostring, pcall =
      type, error, ipairs, setmetatable, getmetatable, tostring, pcall
local io, string, table, utf8 = io, string, table, utf8
local fmt, concat = string.format, table.concat
local P, R, S, C, Cmt, Cp, Ct, Cg = lpeg.P, lpeg.R, lpeg.S, lpeg.C, lpeg.Cmt, lpeg.Cp, lpeg.Ct, lpeg.Cg

local _ENV = nil -- luacheck: ignore 211

local M = {}

-- Lua's message for a failed allocation: an LPeg match that fails for want
-- of memory is that error, not a malformed entry
local MEMERR = "not enough memory"

local function argerror(n, fname, msg, level)
  error(fmt("bad argument #%d to '%s' (%s)", n, fname, msg), (level or 2) + 1)
end

-- {======================================================
-- arXiv ids
-- =======================================================

-- The canonical id (no version) at position i of s, or nil: new style
-- YYMM.NNNN(N), old style archive(.XX)/YYMMNNN.
local function id_at(s, i)
  local new = s:match("^%d%d%d%d%.%d%d%d%d%d?", i)
  if new then
    if s:find("^%d", i + #new) then return nil end
    return new
  end
  local arch, e = s:match("^([a-z][a-z%-]*)()", i)
  if not arch then return nil end
  local sub = s:match("^%.[A-Z][A-Z]", e)
  if sub then e = e + #sub end
  local num = s:match("^/(%d%d%d%d%d%d%d)", e)
  if not num or s:find("^%d", e + 8) then return nil end
  return arch .. (sub or "") .. "/" .. num
end

-- An arXiv id written as a whole value ("2005.09623v2", "arXiv:hep-th/9901001",
-- an abs/pdf URL), or nil.
local function parse_id(s)
  s = s:gsub("^%s+", ""):gsub("%s+$", "")
  local low = s:lower()
  local at = 1
  if low:sub(1, 6) == "arxiv:" then at = 7 end
  local u = low:find("arxiv%.org/abs/") or low:find("arxiv%.org/pdf/")
  if u then at = low:find("/", u + 10, true) + 1 end
  local id = id_at(s, at)
  if not id then return nil end
  local rest = s:sub(at + #id):gsub("^v%d+", ""):gsub("%.pdf$", "")
  if rest ~= "" and not rest:match("^[%s%[%(,;/#?]") then return nil end
  return id
end
M.parse_id = parse_id

-- The first arXiv id named in free text ("arXiv preprint arXiv:1911.05722",
-- "https://arxiv.org/abs/2003.08934v2", "10.48550/arXiv.2003.08934").
local function find_id(s)
  local low = s:lower()
  local init = 1
  while true do
    local a, e = low:find("arxiv", init, true)
    if not a then return nil end
    local rest = low:sub(e + 1)
    local skip = rest:match("^%.org/abs/") or rest:match("^%.org/pdf/")
              or rest:match("^:%s*") or rest:match("^%.") or rest:match("^%s+")
    if skip then
      local id = id_at(s, e + 1 + #skip)
      if id then return id end
    end
    init = e + 1
  end
end

-- }======================================================

-- {======================================================
-- LaTeX to text
-- =======================================================

local combining = {
  ['"'] = 0x308, ["'"] = 0x301, ["`"] = 0x300, ["^"] = 0x302, ["~"] = 0x303,
  ["="] = 0x304, ["."] = 0x307, u = 0x306, v = 0x30C, H = 0x30B, c = 0x327,
  k = 0x328, r = 0x30A, d = 0x323, b = 0x331, t = 0x361,
}
local letters = {
  ss = "ß", o = "ø", O = "Ø", ae = "æ", AE = "Æ", oe = "œ", OE = "Œ",
  aa = "å", AA = "Å", l = "ł", L = "Ł", i = "ı", j = "ȷ",
  textbackslash = "\\", textendash = "–", textemdash = "—",
  textquoteleft = "‘", textquoteright = "’", textquotedbl = '"',
  textasciitilde = "~", textunderscore = "_", textbar = "|",
  textless = "<", textgreater = ">", dag = "†", S = "§", P = "¶",
  copyright = "©", textregistered = "®", texttrademark = "™",
  alpha = "α", beta = "β", gamma = "γ", delta = "δ", epsilon = "ε",
  lambda = "λ", mu = "μ", pi = "π", sigma = "σ", tau = "τ", phi = "φ",
  omega = "ω", ell = "ℓ",
}

local function accent(cmd, letter)
  if letter == "\\i" then letter = "i" elseif letter == "\\j" then letter = "j" end
  return letter .. utf8.char(combining[cmd])
end

--- LaTeX source (a BibTeX value) as plain text: accents as combining marks,
-- special letters as Unicode, commands dropped (their arguments kept),
-- braces and $ removed, spaces collapsed.
local function latex_text(s)
  if not s:find("[\\{}$~%-`']") then return (s:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")) end
  -- accents with a braced argument: \"{u} \'{\i} \v{c}; {\"u} is \"u in braces
  s = s:gsub("\\([\"'`%^~=%.])%s*{%s*(\\?%a)%s*}", accent)
  s = s:gsub("\\([uvHckrdbt])%s*{%s*(\\?%a)%s*}", accent)
  s = s:gsub("\\([uvHckrdbt])%s+(%a)", accent)                 -- \c c
  s = s:gsub("\\([\"'`%^~=%.])%s*(\\[ij])%f[^%a]", accent)     -- \'\i
  -- escaped characters (kept apart until the braces go)
  s = s:gsub("\\([&%%_#%$%{%}])", function(c)
    return ({ ["{"] = "\1", ["}"] = "\2", ["$"] = "\3" })[c] or c
  end)
  -- control words: named letters and symbols; other commands vanish
  -- (their arguments stay)
  s = s:gsub("\\(%a+)%s*", function(name)
    return letters[name] or ""
  end)
  -- accents on a plain letter: \"u \'e (after the control words, which
  -- end where a letter made here would start)
  s = s:gsub("\\([\"'`%^~=%.])%s*(%a)", accent)
  s = s:gsub("\\(.)", "%1")
  s = s:gsub("%-%-%-", "—"):gsub("%-%-", "–"):gsub("``", "“"):gsub("''", "”")
  s = s:gsub("~", " "):gsub("[{}$]", "")
  s = s:gsub("\1", "{"):gsub("\2", "}"):gsub("\3", "$")
  return (s:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
end
M.latex_text = latex_text

-- }======================================================

-- {======================================================
-- BibTeX grammar
-- =======================================================

-- Iterative scanners for the delimited values (no recursion: deep braces
-- cannot overflow a stack). Each returns the position after the value and
-- its contents, or nothing when it is not closed.
local function scan_braced(s, i)    -- i: just after the opening brace
  local depth, j = 1, i
  while true do
    j = s:find("[{}]", j)
    if not j then return false end
    if s:byte(j) == 123 then depth = depth + 1
    else
      depth = depth - 1
      if depth == 0 then return j + 1, s:sub(i, j - 1) end
    end
    j = j + 1
  end
end

local function scan_quoted(s, i)    -- i: just after the opening quote
  local depth, j = 0, i
  while true do
    j = s:find('[{}"]', j)
    if not j then return false end
    local c = s:byte(j)
    if c == 123 then depth = depth + 1
    elseif c == 125 then depth = depth > 0 and depth - 1 or 0
    elseif depth == 0 then return j + 1, s:sub(i, j - 1) end
    j = j + 1
  end
end

local ws = S" \t\r\n\f\v"^0
local ident = (R("az", "AZ", "09") + S"_-:./+'!?*&$;<>|@[]`^~")^1
local namec = C(ident) / string.lower
local braced = P"{" * Cmt(Cp(), function(s, _, i) return scan_braced(s, i) end)
local quoted = P'"' * Cmt(Cp(), function(s, _, i) return scan_quoted(s, i) end)
local part = Ct(Cg(braced + quoted, "text"))
           + Ct(Cg(C(R"09"^1), "text"))
           + Ct(Cg(namec, "macro"))
local value = Ct(part * (ws * "#" * ws * part)^0)
local field = Ct(Cg(namec, "name") * ws * "=" * ws * Cg(value, "value"))
local fields = Ct((field * ws * ("," * ws)^1)^0 * (field * ws)^-1)
-- a key: anything up to the comma (not a field: no "=" before the comma)
local key = C((1 - S",{}()=\" \t\r\n")^1) * ws * ","
local function body(close)
  return ws * (Cg(key, "key") * ws + ("," * ws)^-1) * Cg(fields, "fields")
       * ws * Cg(P(close) * Cp(), "close")^-1 * Cg(Cp(), "stop")
end
local entry_head = P"@" * ws * Cg(C(R("az", "AZ")^1) / string.lower, "type") * ws
local entry = Ct(entry_head * (P"{" * body"}" + P"(" * body")"))
-- @string{name = value}, @preamble{...}, @comment{...}
local string_body = Ct(Cg(namec, "name") * ws * "=" * ws * Cg(value, "value"))
local string_entry = entry_head * (P"{" * ws * string_body * ws * "}" + P"(" * ws * string_body * ws * ")")

local months = {
  jan = "January", feb = "February", mar = "March", apr = "April", may = "May",
  jun = "June", jul = "July", aug = "August", sep = "September", oct = "October",
  nov = "November", dec = "December",
}

-- }======================================================

-- {======================================================
-- reading
-- =======================================================

local Library = {}
Library.__index = Library

local function new_library(name)
  return setmetatable({ _name = name, _entries = {}, _warnings = {}, _unmatched = {},
                        _docs = nil, _ids = nil, _index = nil }, Library)
end

local function warn(lib, line, msg)
  local w = lib._warnings
  if #w < 1000 then
    w[#w + 1] = fmt("%s:%d: %s", lib._name, line, msg)
  elseif #w == 1000 then
    w[#w + 1] = fmt("%s: more warnings not shown", lib._name)
  end
end

-- value parts joined, macros expanded
local function expand(lib, parts, strings, line)
  local out = {}
  for i, p in ipairs(parts) do
    if p.text then out[i] = p.text
    else
      local v = strings[p.macro] or months[p.macro]
      if not v then
        warn(lib, line, fmt("undefined macro '%s'", p.macro))
        v = ""
      end
      out[i] = v
    end
  end
  return concat(out)
end

local function short(s)
  s = s:gsub("%s+", " ")
  if #s > 60 then s = s:sub(1, 57) .. "..." end
  return s
end

-- How an entry names a paper: id, doi, title (each may be nil).
local function identify(e)
  local f = e.fields
  local prefix = (f.archiveprefix or f.eprinttype or ""):lower()
  if f.eprint and (prefix == "" or prefix == "arxiv") then
    e.id = parse_id(f.eprint)
  end
  if not e.id then
    for _, name in ipairs{ "url", "note", "journal", "howpublished", "booktitle", "eprint" } do
      local v = f[name]
      if v then
        e.id = find_id(v)
        if e.id then break end
      end
    end
  end
  if f.doi then
    -- the field's DOIs (core.dois: the one rule of the outputs and of the
    -- index's DOI table: space-separated, resolver prefix and a final "."
    -- dropped); arXiv's own names the paper, the others are looked up
    local others = {}
    for _, doi in ipairs(core.dois(f.doi)) do
      local arx = doi:lower():match("^10%.48550/arxiv%.(.+)$")
      if arx then
        e.id = e.id or parse_id(doi:sub(-#arx))
      else
        others[#others + 1] = doi
      end
    end
    if #others > 0 then e.doi = concat(others, " ") end
  end
  if f.title and f.title:find("%S") then e.title = latex_text(f.title) end
end

-- the line of byte position pos (lines[] holds the start of each line)
local function line_of(starts, pos)
  local lo, hi = 1, #starts
  while lo < hi do
    local mid = (lo + hi + 1) // 2
    if starts[mid] <= pos then lo = mid else hi = mid - 1 end
  end
  return lo
end

local function read_bibtex(lib, text)
  local starts = { 1 }
  for p in text:gmatch("\n()") do starts[#starts + 1] = p end
  -- entries start at '@' at the beginning of a line (after spaces)
  local cuts = {}
  if text:find("^[ \t]*@") or text:find("^\239\187\191[ \t]*@") then
    cuts[1] = text:find("@", 1, true)
  end
  for p in text:gmatch("\n[ \t]*()@") do cuts[#cuts + 1] = p end
  local strings = {}
  for i, at in ipairs(cuts) do
    local stop = (cuts[i + 1] or #text + 1) - 1
    local chunk = text:sub(at, stop)
    local line = line_of(starts, at)
    local kind = chunk:match("^@%s*(%a+)")
    kind = kind and kind:lower()
    -- @comment and @preamble are skipped (JabRef keeps its settings in @comment)
    if kind == nil then
      warn(lib, line, "malformed entry: no type after '@'")
    elseif kind == "string" then
      local ok, s = pcall(lpeg.match, string_entry, chunk)
      if not ok and s == MEMERR then error(s, 0) end
      if ok and s then
        strings[s.name] = expand(lib, s.value, strings, line)
      else
        warn(lib, line, "malformed @string")
      end
    elseif kind ~= "comment" and kind ~= "preamble" then
      local ok, e = pcall(lpeg.match, entry, chunk)
      if not ok and e == MEMERR then error(e, 0) end
      if not ok or not e then
        warn(lib, line, fmt("malformed @%s entry skipped", kind))
      else
        if not e.close then
          local rest = chunk:sub(e.stop)
          local what = e.key and (" '" .. short(e.key) .. "'") or ""
          if rest:find("%S") then
            warn(lib, line_of(starts, at + e.stop - 1),
                 fmt("malformed field in @%s entry%s: entry skipped", kind, what))
          else
            warn(lib, line, fmt("@%s entry%s is not closed (unbalanced braces?): entry skipped",
                                kind, what))
          end
          e = nil
        end
        if e then
          local fl = {}
          for _, fd in ipairs(e.fields) do
            if fl[fd.name] == nil then
              fl[fd.name] = expand(lib, fd.value, strings, line)
            else
              warn(lib, line, fmt("field '%s' repeated (the first is kept)", fd.name))
            end
          end
          local en = { type = e.type, key = e.key, line = line, fields = fl }
          identify(en)
          lib._entries[#lib._entries + 1] = en
        end
      end
    end
  end
  if #cuts == 0 and text:find("%S") then
    warn(lib, 1, "no BibTeX entry found")
  end
end

local function read_ids(lib, text)
  local n = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    local s = line:gsub("#.*", ""):gsub("^%s+", ""):gsub("%s+$", "")
    if s ~= "" then
      local first = s:match("^%S+")
      local id = parse_id(first)
      local en = { type = "id", line = n, fields = { id = first }, id = id }
      lib._entries[#lib._entries + 1] = en
      if not id then warn(lib, n, fmt("not an arXiv id: %s", short(first))) end
    end
  end
end

local function parse_text(lib, text)
  if text:find("^\239\187\191") then text = text:sub(4) end
  if text:find("^[ \t]*@") or text:find("\n[ \t]*@") then
    read_bibtex(lib, text)
  else
    read_ids(lib, text)
  end
  -- entries that name nothing
  for _, e in ipairs(lib._entries) do
    if not (e.id or e.doi or e.title) then
      lib._unmatched[#lib._unmatched + 1] = { entry = e, line = e.line,
        reason = e.type == "id" and "not an arXiv id" or "no arXiv id, DOI or title" }
    end
  end
end

--- ad.library(path_or_text [, idx]) -> Library | nil, "path: reason", errno
-- A string with a newline or an '@' is the text itself; otherwise a path.
-- With idx, the library is resolved against it.
function M.library(src, idx)
  if type(src) ~= "string" then
    argerror(1, "library", "path or text expected, got " .. type(src))
  end
  if src == "" then argerror(1, "library", "path or text expected, got an empty string") end
  if idx ~= nil and not core._risindex(idx) then
    argerror(2, "library", "Index expected, got " .. type(idx))
  end
  local lib
  if src:find("[\n@]") then
    lib = new_library("library")
    parse_text(lib, src)
  else
    local f, err, code = io.open(src, "rb")
    if not f then
      -- a single id given as text
      if parse_id(src) then
        lib = new_library("library")
        parse_text(lib, src)
      else
        return nil, err, code
      end
    else
      local text, rerr = f:read("a")
      f:close()
      if not text then return nil, src .. ": " .. tostring(rerr) end
      lib = new_library(src)
      parse_text(lib, text)
    end
  end
  if idx then lib:resolve(idx) end
  return lib
end

-- }======================================================

-- {======================================================
-- matching
-- =======================================================


-- The doc of entry e in idx (its id, else its DOI, else its title: the
-- first the index knows), or nil; why: what was not found; n: how many
-- papers have its title (when the title decided).
local function match_entry(idx, e)
  local doc, why, n = nil, {}, nil
  if e.id then
    doc = core._rfind(idx, e.id)
    if not doc then why[#why + 1] = "arXiv " .. e.id .. " is not in the index" end
  end
  if not doc and e.doi then
    doc = core.index_lookup(idx, "doi", e.doi)
    if not doc then why[#why + 1] = "DOI " .. short(e.doi) .. " is not in the index" end
  end
  if not doc and e.title then
    doc, n = core.index_lookup(idx, "title", e.title)
    if not doc then why[#why + 1] = "no paper has the title \"" .. short(e.title) .. "\"" end
  end
  return doc, why, n
end

--- lib:resolve(idx) -> lib: match every entry against the index.
function Library.resolve(lib, idx)
  if not core._risindex(idx) then
    argerror(1, "resolve", "Index expected, got " .. type(idx))
  end
  local docs, seen, unmatched, ids = {}, {}, {}, {}
  local first_line = {}
  for _, e in ipairs(lib._entries) do
    local doc, why, n = match_entry(idx, e)
    if doc and n and n > 1 then
      warn(lib, e.line, fmt("%d papers have the title \"%s\": the newest is used", n, short(e.title)))
    end
    if doc then
      e.doc = doc
      if seen[doc] then
        warn(lib, e.line, fmt("the same paper as the entry at line %d", first_line[doc]))
      else
        seen[doc] = true
        first_line[doc] = e.line
        docs[#docs + 1] = doc
        ids[#ids + 1] = core._rpaper(idx, doc).id
      end
    else
      e.doc = nil
      if #why == 0 then
        why[1] = e.type == "id" and "not an arXiv id" or "no arXiv id, DOI or title"
      end
      unmatched[#unmatched + 1] = { entry = e, line = e.line, reason = concat(why, "; ") }
    end
  end
  lib._docs, lib._ids, lib._unmatched, lib._index = docs, ids, unmatched, idx
  lib._gen = core._rgen(idx)      -- (an update of idx makes a new generation)
  return lib
end

-- is lib resolved against idx as it is now (not before an update)?
local function resolved(lib, idx)
  return lib._index == idx and lib._gen == core._rgen(idx)
end

--- lib:_docs_for(idx) -> doc numbers of the papers in idx (resolves)
function Library._docs_for(lib, idx)
  if not resolved(lib, idx) then lib:resolve(idx) end
  return lib._docs
end

--- lib:_docs_among(idx, other) -> doc numbers in the index `other` of the
-- entries idx does not have (by the same rules; a paper whose id idx has
-- is left out: it counts there), and the records of lib:unmatched() that
-- neither index has. The library stays resolved against idx.
function Library._docs_among(lib, idx, other)
  if not resolved(lib, idx) then lib:resolve(idx) end
  local docs, seen, rest = {}, {}, {}
  for _, u in ipairs(lib._unmatched) do
    local doc = match_entry(other, u.entry)
    if not doc then
      rest[#rest + 1] = u
    elseif not seen[doc] and not core._rfind(idx, core._rpaper(other, doc).id) then
      seen[doc] = true
      docs[#docs + 1] = doc
    end
  end
  return docs, rest
end

function Library.__len(lib)
  if lib._docs then return #lib._docs end
  local n = 0
  for _, e in ipairs(lib._entries) do
    if e.id or e.doi or e.title then n = n + 1 end
  end
  return n
end

-- a fresh copy of a list (what the accessors hand out: theirs to change)
local function copy(t)
  local out = {}
  for i, v in ipairs(t) do out[i] = v end
  return out
end

function Library.unmatched(lib) return copy(lib._unmatched) end

function Library.warnings(lib) return copy(lib._warnings) end

function Library.ids(lib)
  if lib._ids then return copy(lib._ids) end
  local out, seen = {}, {}
  for _, e in ipairs(lib._entries) do
    if e.id and not seen[e.id] then seen[e.id] = true; out[#out + 1] = e.id end
  end
  return out
end

function Library.entries(lib) return copy(lib._entries) end

function Library.__tostring(lib)
  return fmt("Library (%d entries%s)", #lib._entries,
             lib._docs and fmt(", %d in the index", #lib._docs) or "")
end

M.Library = Library

--- Is x a Library?
function M.is_library(x)
  return type(x) == "table" and getmetatable(x) == Library
end

-- }======================================================

return M
