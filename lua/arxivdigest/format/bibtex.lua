-- arxivdigest.format.bibtex: one entry per paper, the way arXiv itself
-- cites e-prints:
--
--   @misc{ceolini2019sensor,
--     title         = {Sensor fusion using {EMG} and vision ...},
--     author        = {Enea Ceolini and Gemma Taverni and ...},
--     year          = {2019},
--     eprint        = {1910.11126},
--     archivePrefix = {arXiv},
--     primaryClass  = {cs.CV},
--     doi           = {10.48550/arXiv.1910.11126},
--     url           = {https://arxiv.org/abs/1910.11126},
--   }
--
-- A paper with a journal DOI (not 10.48550/arXiv.*) and a journal-ref is
-- an @article with journal = the journal-ref and doi = the journal DOI,
-- keeping eprint, archivePrefix and primaryClass; otherwise the journal-ref
-- (if any) is the note.
-- Titles: words that must keep their case are braced as Better BibTeX
-- does ({NeRF}, {CNNs}, {3D}, {EMG}: a capital after the first character),
-- not capitalised words (Self-Supervised stays as is).
-- Authors: collaborations, consortia, groups, teams... are one braced
-- name ({Euclid Collaboration}).
-- Keys: first author's surname (ASCII, diacritics folded; "anon" for papers
-- without authors), year, first significant title word; papers whose keys
-- clash get a, b, c... suffixes in order of their ids, so keys are stable.
-- Text is made inert for TeX (issue 11, F10; the rules are at "Escaping"
-- below): TeX specials are escaped, accents kept, and $math$ is kept as
-- written only when every command in it is on an allow-list. No entry ever
-- has unbalanced braces.
-- opts.abstract = true adds the abstract, opts.comment = true the comment.

local util = require "arxivdigest.format.util"

local type, tostring, tonumber, ipairs, pairs = type, tostring, tonumber, ipairs, pairs
local table, string, utf8 = table, string, utf8

local M = { name = "bibtex", extension = "bib", mime = "application/x-bibtex; charset=utf-8" }

-- {======================================================================
-- Escaping
-- =======================================================================
--
-- TeX safety (issue 11, F10). A field's text ends up in a .bbl that LaTeX
-- reads, so anything TeX would execute must be inert. The rule is an
-- allow-list, not a deny-list: TeX can spell any command another way
-- (\csname input\endcsname, ^^5cinput, \expandafter, \lowercase{\INPUT},
-- a \catcode change, a \def), and packages add I/O commands of their own
-- (\lstinputlisting, \verbatiminput, \directlua, \ShellEscape...), so no
-- list of bad names is ever complete; a harmless command missing from the
-- allow-list costs only looks (the span is printed literally).
--
--   * Text outside $math$: every TeX special character is escaped
--     (\ { } # % & _ ~ ^ $), so no control sequence and no ^^ notation
--     can form. Kept as TeX: accents on a letter (\'e, \"{o}, \c{c},
--     \v s, \'\i -> {\'e} {\"o} {\c{c}} {\v{s}} {\'\i}), the letters \i \j
--     \o \O \l \L \ss \aa \AA \ae \AE \oe \OE, and the escaped specials
--     \% \& \_ \# \$. Anything else after a backslash is \textbackslash{}.
--   * $math$ is kept as written only when its braces balance, it has no
--     ^^ (TeX's character-code notation, which can spell a backslash) and
--     every control sequence in it is in MATH_OK (Greek letters, symbols,
--     relations, arrows, delimiters, operators, math fonts and accents,
--     \frac, \sqrt, \text...: nothing that reads, writes, executes,
--     defines or changes catcodes); a bare % # & in it is escaped.
--     Any other math is escaped as text, so it reads "$\input{x}$".
--   * Braces always balance (BibTeX counts every brace, escaped or not):
--     unpaired ones become \textbraceleft{} / \textbraceright{}.
--   * doi keeps only characters that TeX does not treat specially.

local TEXT_ESC = {
  ["\\"] = "\\textbackslash{}", ["{"] = "\\{", ["}"] = "\\}",
  ["#"] = "\\#", ["%"] = "\\%", ["&"] = "\\&", ["_"] = "\\_",
  ["~"] = "\\textasciitilde{}", ["^"] = "\\textasciicircum{}", ["$"] = "\\$",
}

local MATH_OK = {}
for w in ([[
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa lambda mu nu xi
pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi
Sigma Upsilon Phi Psi Omega varGamma varDelta varTheta varLambda varXi varPi varSigma varUpsilon varPhi
varPsi varOmega digamma
ell hbar hslash imath jmath wp Re Im aleph beth partial nabla infty emptyset varnothing prime backprime
forall exists nexists neg lnot top bot angle triangle square Box Diamond diamond bullet star ast circ
cdot cdots ldots dots vdots ddots times div pm mp oplus ominus otimes oslash odot circledast circledR
dagger ddagger amalg cap cup sqcap sqcup vee wedge lor land setminus smallsetminus wr bigcap bigcup
bigvee bigwedge bigoplus bigotimes bigodot biguplus bigsqcup sum prod coprod int iint iiint oint
leq le geq ge neq ne equiv sim simeq approx cong asymp propto ll gg lesssim gtrsim lessapprox
gtrapprox leqslant geqslant prec succ preceq succeq subset supset subseteq supseteq subsetneq
supsetneq in ni notin mid nmid parallel perp models vdash dashv doteq thicksim thickapprox approxeq
to gets leftarrow rightarrow Leftarrow Rightarrow leftrightarrow Leftrightarrow longleftarrow
longrightarrow Longleftarrow Longrightarrow longleftrightarrow Longleftrightarrow mapsto longmapsto
uparrow downarrow Uparrow Downarrow updownarrow nearrow searrow nwarrow swarrow hookleftarrow
hookrightarrow rightleftharpoons leadsto xrightarrow xleftarrow iff implies
langle rangle lceil rceil lfloor rfloor vert Vert lvert rvert lVert rVert left right middle big Big
bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr backslash lbrace rbrace
log ln lg exp sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh coth min max sup inf lim
limsup liminf arg det dim ker deg gcd hom Pr bmod pmod operatorname
mathcal mathbb mathbf mathrm mathit mathsf mathtt mathscr mathfrak mathds mathnormal boldsymbol bm
pmb text textrm textit textbf texttt textsf textsc textup textnormal emph mbox rm bf it sf tt cal
hat widehat tilde widetilde bar overline underline vec dot ddot acute grave check breve mathring
overrightarrow overleftarrow underbrace overbrace
frac dfrac tfrac sqrt binom dbinom tbinom choose over atop stackrel overset underset substack limits
nolimits displaystyle textstyle scriptstyle scriptscriptstyle quad qquad textdegree
]]):gmatch("%a+") do
  MATH_OK[w] = true
end
M.MATH_OK = MATH_OK
-- control symbols allowed in math: spacing and escaped specials
local MATH_SYM = { [","] = true, [";"] = true, [":"] = true, ["!"] = true, [" "] = true, ["{"] = true,
  ["}"] = true, ["%"] = true, ["#"] = true, ["&"] = true, ["_"] = true, ["$"] = true, ["|"] = true }

-- Brace depth never negative and ending at 0 (BibTeX counts every brace,
-- escaped or not).
local function balanced(s)
  local depth = 0
  for c in s:gmatch("[{}]") do
    depth = depth + (c == "{" and 1 or -1)
    if depth < 0 then return false end
  end
  return depth == 0
end
M.balanced = balanced

-- May this $...$ span be written as TeX? (see the rules above)
local function safe_math(m)
  if #m < 3 or m:find("^^", 1, true) then return false end
  local i = 1
  while true do
    i = m:find("\\", i, true)
    if not i then return balanced(m) end
    local name = m:match("^%a+", i + 1)
    if name then
      if not MATH_OK[name] then return false end
      i = i + 1 + #name
    else
      if not MATH_SYM[m:sub(i + 1, i + 1)] then return false end
      i = i + 2
    end
  end
end
M.safe_math = safe_math

local SYMBOL_ACCENT = { ["'"] = true, ["`"] = true, ['"'] = true, ["^"] = true, ["~"] = true, ["="] = true,
  ["."] = true }
local LETTER_ACCENT = { u = true, v = true, H = true, c = true, d = true, b = true, r = true, k = true, t = true }
local TEX_LETTER = { i = true, j = true, o = true, O = true, l = true, L = true, ss = true, aa = true, AA = true,
  ae = true, AE = true, oe = true, OE = true }
local ESCAPED = { ["%"] = true, ["&"] = true, ["_"] = true, ["#"] = true, ["$"] = true }

-- The argument of an accent at position j: a letter, {letter}, \i, {\i}
-- (or \j). Returns the TeX for it and the position after it.
local function accent_arg(s, j)
  local c = s:match("^%a", j)
  if c then return c, j + 1 end
  c = s:match("^{(%a)}", j)
  if c then return c, j + 3 end
  c = s:match("^\\([ij])%f[^%a]", j)
  if c then return "\\" .. c, j + 2 end
  c = s:match("^{\\([ij])}", j)
  if c then return "\\" .. c, j + 4 end
  return nil
end

-- A backslash sequence at i in text that stays TeX: returns its TeX and
-- the position after it, or nil.
local function text_command(s, i)
  local c = s:sub(i + 1, i + 1)
  if ESCAPED[c] then return "\\" .. c, i + 2 end
  if SYMBOL_ACCENT[c] then
    local arg, j = accent_arg(s, i + 2)
    if arg then return "{\\" .. c .. arg .. "}", j end
    return nil
  end
  local name = s:match("^%a+", i + 1)
  if not name then return nil end
  local j = i + 1 + #name
  if LETTER_ACCENT[name] then
    local arg, k = accent_arg(s, j)
    if not arg and s:sub(j, j) == " " then arg, k = accent_arg(s, j + 1) end
    if arg then
      return "{\\" .. name .. "{" .. arg .. "}}", k
    end
    return nil
  end
  if TEX_LETTER[name] then
    if s:sub(j, j + 1) == "{}" then j = j + 2 end
    return "{\\" .. name .. "}", j
  end
  return nil
end

-- Words whose case a sentence-case style must not change, as Better
-- BibTeX protects them: a word (a run of letters and digits; hyphens
-- separate words) with a capital after its first character: acronyms
-- (EMG, CNNs), names like NeRF or ImageNet, 3D. A capitalised ordinary
-- word (Self-Supervised, Learning) is left to the style. A single capital
-- hyphenated to a protected word belongs to it: {RGB-D}, but {CLIP}-Guided.
local function protect_word(w)
  if w:find("%u", 2) then return "{" .. w .. "}" end
  return nil
end

local function protect_case(chunk)
  return (chunk:gsub("[%w\128-\255%-]+", function(run)
    if not run:find("-", 1, true) then return protect_word(run) end
    local any, single = false, false
    for w in run:gmatch("[^%-]+") do
      if w:find("%u", 2) then any = true elseif w:find("^%u$") then single = true end
    end
    if not any then return nil end
    if single then return "{" .. run .. "}" end
    return (run:gsub("[^%-]+", protect_word))
  end))
end

-- Escape plain text (see the rules above). Braces become \{ \} only while
-- they pair up; an unpaired one becomes \textbraceleft{} / \textbraceright{}.
local function escape_text(s, protect, out)
  -- which braces pair up (positions); a brace right after a backslash
  -- counts too, as it is written as \textbackslash{}\{
  local pair, stack = {}, {}
  if s:find("[{}]") then
    for i, c in s:gmatch("()([{}])") do
      if c == "{" then stack[#stack + 1] = i
      elseif #stack > 0 then
        pair[stack[#stack]] = true; pair[i] = true; stack[#stack] = nil
      end
    end
  end
  local i, n = 1, #s
  while i <= n do
    local j = s:find("[\\{}#%%&_~^$]", i)
    if not j then j = n + 1 end
    if j > i then
      local chunk = s:sub(i, j - 1)
      out[#out + 1] = protect and chunk:find("%u") and protect_case(chunk) or chunk
    end
    if j > n then break end
    local c = s:sub(j, j)
    -- a group of one accent or TeX letter, as arXiv writes them (Qu{\'e}bec,
    -- K{\l}opotek): that command, braced once, not \{{\'e}\}
    local group, after
    if c == "{" and pair[j] and s:sub(j + 1, j + 1) == "\\" then group, after = text_command(s, j + 1) end
    if group and group:sub(1, 1) == "{" and s:sub(after, after) == "}" then
      out[#out + 1] = group
      i = after + 1
    elseif c == "{" or c == "}" then
      if pair[j] then out[#out + 1] = TEXT_ESC[c]
      else out[#out + 1] = c == "{" and "\\textbraceleft{}" or "\\textbraceright{}" end
      i = j + 1
    elseif c == "\\" then
      local tex, k = text_command(s, j)
      if tex then
        out[#out + 1] = tex
        i = k
      else
        out[#out + 1] = TEXT_ESC[c]
        i = j + 1
      end
    else
      out[#out + 1] = TEXT_ESC[c]
      i = j + 1
    end
  end
end

-- Next $ at or after i that no backslash escapes, or nil.
local function next_dollar(s, i)
  while true do
    local k = s:find("$", i, true)
    if not k then return nil end
    if k == 1 or s:sub(k - 1, k - 1) ~= "\\" then return k end
    i = k + 1
  end
end

-- Escape s, keeping $...$ spans as written when they are safe (see the
-- rules above). protect = true (titles) braces the words that must keep
-- their case, and math holding a capital letter ({$\Delta$}).
function M.escape(s, protect)
  s = util.line(s)
  local out = {}
  local i = 1
  while i <= #s do
    local open = next_dollar(s, i)
    local close = open and next_dollar(s, open + 1)
    if not close then escape_text(s:sub(i), protect, out); break end
    local math = s:sub(open, close)
    if open > i then escape_text(s:sub(i, open - 1), protect, out) end
    if safe_math(math) then
      -- a bare % # & would end the line, break the macro argument or an
      -- alignment
      math = math:gsub("(\\?)([%%#&])", function(bs, c) return bs == "" and "\\" .. c or nil end)
      if protect and math:find("%u") then math = "{" .. math .. "}" end
      out[#out + 1] = math
    else
      escape_text(math, protect, out)
    end
    i = close + 1
  end
  return table.concat(out)
end

-- {======================================================================
-- Keys
-- =======================================================================

-- Fold common Latin letters with diacritics to ASCII.
local FOLD = {}
do
  local groups = {
    a = "àáâãäåāăą", A = "ÀÁÂÃÄÅĀĂĄ", c = "çćĉċč", C = "ÇĆĈĊČ", d = "ďđ", D = "ĎĐ",
    e = "èéêëēĕėęě", E = "ÈÉÊËĒĔĖĘĚ", g = "ĝğġģ", G = "ĜĞĠĢ", h = "ĥħ", H = "ĤĦ",
    i = "ìíîïĩīĭįı", I = "ÌÍÎÏĨĪĬĮİ", j = "ĵ", J = "Ĵ", k = "ķ", K = "Ķ",
    l = "ĺļľŀł", L = "ĹĻĽĿŁ", n = "ñńņňŉ", N = "ÑŃŅŇ", o = "òóôõöøōŏő", O = "ÒÓÔÕÖØŌŎŐ",
    r = "ŕŗř", R = "ŔŖŘ", s = "śŝşšș", S = "ŚŜŞŠȘ", t = "ţťŧț", T = "ŢŤŦȚ",
    u = "ùúûüũūŭůűų", U = "ÙÚÛÜŨŪŬŮŰŲ", w = "ŵ", W = "Ŵ", y = "ýÿŷ", Y = "ÝŸŶ",
    z = "źżž", Z = "ŹŻŽ",
  }
  for ascii, chars in pairs(groups) do
    for _, c in utf8.codes(chars) do FOLD[utf8.char(c)] = ascii end
  end
  FOLD["ß"] = "ss"; FOLD["æ"] = "ae"; FOLD["Æ"] = "AE"; FOLD["œ"] = "oe"; FOLD["Œ"] = "OE"
  FOLD["þ"] = "th"; FOLD["ð"] = "d"
end

-- TeX accents and letters as their letter: M\"{u}ller -> Muller, \c c -> c.
local function detex(s)
  s = s:gsub("\\[%'`\"%^~=.]%s*{?\\?(%a)}?", "%1")
  s = s:gsub("\\[uvHcdbrkt]%s*{\\?(%a)}", "%1"):gsub("\\[uvHcdbrkt]%s+(%a)", "%1")
  s = s:gsub("\\(%a%a?)%f[^%a]{?}?", { ss = "ss", aa = "a", AA = "A", ae = "ae", AE = "AE", oe = "oe", OE = "OE",
    o = "o", O = "O", l = "l", L = "L", i = "i", j = "j" })
  return s
end
M.detex = detex

local function ascii_word(s)
  s = util.valid_utf8(s or "")
  -- (a character without a fold stays, then goes with the non-alphanumerics)
  s = s:gsub("[\192-\247][\128-\191]*", FOLD)
  -- drop LaTeX accent commands such as \"{o} -> o
  s = s:gsub("\\[%a]+", ""):gsub("\\.", "")
  return (s:lower():gsub("[^%w]", ""))
end
M.ascii_word = ascii_word

local STOP = {}
for w in ("a an the on of for in to and with via from by at is are towards toward"
    .. " do does can using how what when why which"):gmatch("%a+") do
  STOP[w] = true
end

-- Corporate authors: a name with one of these words is one name, braced
-- ({Euclid Collaboration}), so BibTeX neither splits it into first and
-- last names nor abbreviates it.
local CORPORATE = {}
for w in ([[collaboration collaborations consortium group team initiative project society association
  committee alliance organization organisation university institute laboratory investigators collaborators
  participants council network]]):gmatch("%a+") do
  CORPORATE[w] = true
end

function M.corporate(name)
  name = name:lower()
  for w in pairs(CORPORATE) do
    -- plain finds, each occurrence checked for word boundaries: linear
    local i = 1
    while true do
      local a, b = name:find(w, i, true)
      if not a then break end
      if not name:find("^%a", a - 1) or a == 1 then
        if not name:find("^%a", b + 1) then return true end
      end
      i = b + 1
    end
  end
  return false
end

local function surname(name)
  name = detex(util.line(name))
  if M.corporate(name) then
    -- {Euclid Collaboration}: its first significant word
    for w in name:gmatch("[%w\128-\255]+") do
      w = ascii_word(w)
      if w:find("%a") and not STOP[w] then return w end
    end
  end
  -- "Last, First" or "First Last"
  local last = name:match("^([^,]+),") or name
  local words = {}
  for w in last:gmatch("[%w\128-\255]+") do
    w = ascii_word(w)
    if w:find("%a") then words[#words + 1] = w end
  end
  local n = #words
  -- skip suffixes such as Jr / III
  while n > 1 and (words[n] == "jr" or words[n]:match("^i+v?$")) do n = n - 1 end
  return words[n] or ""
end

local function year_of(p)
  for _, f in ipairs({ "published", "date" }) do
    local v = p[f]
    if type(v) == "string" then
      local y = v:match("^(%d%d%d%d)")
      if y then return y end
    end
  end
  local id = type(p.id) == "string" and p.id or ""
  local yy = id:match("^(%d%d)%d%d%.") or id:match("/(%d%d)%d%d")
  if yy then return (tonumber(yy) >= 91 and "19" or "20") .. yy end
  return ""
end

local function first_word(title)
  -- words outside $math$, split at anything but letters and digits
  local text = detex(util.line(title)):gsub("%$[^$]*%$", " ")
  for w in text:gmatch("[%w\128-\255]+") do
    local a = ascii_word(w)
    if a:find("%a") and not STOP[a] then return a end
  end
  return ""
end

function M.base_key(p)
  local authors = util.array(p.authors)
  local sur = authors[1] and surname(authors[1]) or ""
  if sur == "" then sur = "anon" end
  return sur .. year_of(p) .. first_word(p.title)
end

local function suffix(n)
  -- 1 -> a ... 26 -> z, 27 -> aa
  local s = ""
  repeat
    n = n - 1
    s = string.char(97 + n % 26) .. s
    n = n // 26
  until n == 0
  return s
end

-- Keys for all papers, unique and independent of the papers' order.
function M.keys(papers)
  local groups, used = {}, {}
  for i = 1, #papers do
    local k = M.base_key(papers[i])

    groups[k] = groups[k] or {}
    table.insert(groups[k], i)
    used[k] = true
  end
  local keys = {}
  for k, idxs in pairs(groups) do
    if #idxs == 1 then
      keys[idxs[1]] = k
    else
      table.sort(idxs, function(x, y)
        local a, b = tostring(papers[x].id or ""), tostring(papers[y].id or "")
        if a ~= b then return a < b end
        return x < y
      end)
      local n = 0
      for _, i in ipairs(idxs) do
        local key
        repeat n = n + 1; key = k .. suffix(n) until not used[key]
        used[key] = true
        keys[i] = key
      end
    end
  end
  return keys
end

-- {======================================================================
-- Entries
-- =======================================================================

local function author_field(p)
  local names = {}
  for _, a in ipairs(util.array(p.authors)) do
    local raw = util.line(a)
    local n = M.escape(raw, false)
    if n ~= "" and M.corporate(raw) then
      names[#names + 1] = "{" .. n .. "}"
    elseif n ~= "" then
      -- a literal "and" (BibTeX splits on it in any case) or a comma inside
      -- one name would split or reorder it; a name "others" means et al.
      if raw:find("[Aa][Nn][Dd]") then n = n:gsub("%f[%w][Aa][Nn][Dd]%f[^%w]", "{%0}") end
      if n:find(",") or (#n == 6 and n:lower() == "others") then n = "{" .. n .. "}" end
      names[#names + 1] = n
    end
  end
  return table.concat(names, " and ")
end

local function clean_id(id)
  return (util.line(id):gsub("[^%w%./%-]", ""))
end

function M.clean_doi(doi)
  return (util.line(doi):gsub("[%s{}\\\"%%#$^&~]", ""))
end

local function field(buf, name, value)
  if value == nil or value == "" then return end
  buf[#buf + 1] = string.format("  %-13s = {%s},\n", name, value)
end

-- A DOI of the published version: 10.<registrant>/<suffix>, not arXiv's
-- own 10.48550/arXiv.<id>.
function M.journal_doi(doi)
  if type(doi) ~= "string" then return false end
  doi = util.doi(doi) or ""
  if not doi:match("^10%.%d%d%d%d+/%S") then return false end
  return not doi:lower():match("^10%.48550/arxiv%.")
end

function M.render(papers, opts, write)
  local keys = M.keys(papers)
  for i = 1, #papers do
    local p = papers[i]
    local id = clean_id(p.id or "")
    local journal = p.journal and M.escape(p.journal, false) or ""
    -- published in a journal: @article with the journal and its DOI, the
    -- e-print fields kept (as Better BibTeX and arXiv's export keep them)
    local article = journal ~= "" and M.journal_doi(p.doi)
    local buf = { article and "@article{" or "@misc{", keys[i], ",\n" }
    field(buf, "title", M.escape(p.title, true))
    field(buf, "author", author_field(p))
    if article then field(buf, "journal", journal) end
    field(buf, "year", year_of(p))
    field(buf, "eprint", id)
    field(buf, "archivePrefix", "arXiv")
    field(buf, "primaryClass", M.escape(p.primary_category))
    -- biblatex's doi holds one DOI: the field's first (util.dois: arXiv
    -- lists some twice, space-separated, some with a final ".")
    local doi = util.doi(p.doi) or ""
    if doi == "" and id ~= "" then doi = "10.48550/arXiv." .. id end
    -- a DOI is read verbatim by biblatex: written as is, minus the
    -- characters TeX treats specially (but _, which DOIs use) and what
    -- would break the entry
    field(buf, "doi", M.clean_doi(doi))
    if id ~= "" then field(buf, "url", "https://arxiv.org/abs/" .. id) end
    if not article then field(buf, "note", journal) end
    if opts.comment and p.comment then field(buf, "comment", M.escape(p.comment, false)) end
    if opts.abstract and p.abstract then field(buf, "abstract", M.escape(p.abstract, false)) end
    buf[#buf + 1] = "}\n"
    if i < #papers then buf[#buf + 1] = "\n" end
    write(table.concat(buf))
  end
end

return M
