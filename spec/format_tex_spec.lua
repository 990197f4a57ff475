-- BibTeX output through a real BibTeX + LaTeX run (issue 11, F10): TeX
-- injection payloads in every field stay inert, harmless math and accents
-- survive. Needs latex and bibtex (Debian: texlive-latex-base,
-- texlive-binaries; `make test` installs them); pending without them.
local format = require "arxivdigest.format"
local T = dofile("spec/fixtures/format/tex.lua")

local function sh(cmd)
  local ok, _, code = os.execute(cmd)
  return ok == true and 0 or code
end

local function have(cmd)
  return sh("command -v " .. cmd .. " >/dev/null 2>&1") == 0
end

local HAVE_TEX = have("latex") and have("bibtex")

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(sh("mkdir -p '" .. p .. "'") == 0)
  return p
end

-- A style that prints every field as text (as a careless style would),
-- and doi, url, eprint with only _ made printable: every field is read by
-- LaTeX, not only those plain.bst prints.
local DUMP_BST = [[
ENTRY { abstract archiveprefix author comment doi eprint journal note primaryclass title url year } {} {}
FUNCTION {field.out} { duplicate$ empty$ { pop$ } { "[" swap$ * "] " * write$ newline$ } if$ }
FUNCTION {raw.out} { duplicate$ empty$ { pop$ }
  { "{\catcode`\_=12\relax " swap$ * "} " * write$ newline$ } if$ }
FUNCTION {entry.out} {
  newline$ "\bibitem{" cite$ * "}" * write$ newline$
  title field.out author field.out journal field.out note field.out abstract field.out comment field.out
  primaryclass field.out year field.out archiveprefix field.out eprint raw.out doi raw.out url raw.out
}
FUNCTION {article} { entry.out }
FUNCTION {misc} { entry.out }
FUNCTION {default.type} { entry.out }
READ
FUNCTION {begin.bib} { "\begin{thebibliography}{99}" write$ newline$ }
EXECUTE {begin.bib}
ITERATE {call.type$}
FUNCTION {end.bib} { newline$ "\end{thebibliography}" write$ newline$ }
EXECUTE {end.bib}
]]

local DOC = [[
\documentclass{article}
\begin{document}
Citing every entry.
\nocite{*}
\bibliographystyle{%s}
\bibliography{refs}
\ifx\PWNED\undefined\else\typeout{PWNED-DETECTED}\fi
\end{document}
]]

-- latex, bibtex, latex in a fresh folder holding secret.tex; returns what
-- the run left.
local function run(bib, style)
  local dir = tmpdir()
  write(dir .. "/secret.tex", "\\gdef\\PWNED{yes}\\typeout{SECRET-READ}SECRETMARKER\n")
  write(dir .. "/refs.bib", bib)
  write(dir .. "/dump.bst", DUMP_BST)
  write(dir .. "/doc.tex", DOC:format(style))
  local cd = "cd '" .. dir .. "' && "
  local latex = "latex -no-shell-escape -interaction=nonstopmode doc.tex >/dev/null 2>&1"
  local r = {
    dir = dir,
    latex1 = sh(cd .. latex),
    bibtex = sh(cd .. "bibtex doc >/dev/null 2>&1"),
  }
  r.latex2 = sh(cd .. latex)
  r.log = read(dir .. "/doc.log") or ""
  r.blg = read(dir .. "/doc.blg") or ""
  -- BibTeX breaks long lines: compare with whitespace runs as one space
  r.bbl = (read(dir .. "/doc.bbl") or ""):gsub("%s+", " ")
  r.dvi = read(dir .. "/doc.dvi") or ""
  r.files = {}
  local p = io.popen("ls -a '" .. dir .. "'")
  for l in p:lines() do r.files[#r.files + 1] = l end
  p:close()
  if have("dvitype") then
    local q = io.popen("cd '" .. dir .. "' && dvitype doc.dvi 2>/dev/null")
    r.dvitype = q:read("a")
    q:close()
  end
  return r
end

local function cleanup(r)
  if r and r.dir and r.dir:match("^/tmp/") then sh("rm -rf '" .. r.dir .. "'") end
end

local HOSTNAME = (read("/etc/hostname") or ""):gsub("%s+$", "")

local function assert_inert(r, what)
  for _, f in ipairs(r.files) do
    assert.is_nil(f:match("^pwned"), what .. ": a payload wrote " .. f)
  end
  for _, s in ipairs({ "secret.tex", "SECRET-READ", "PWNED-DETECTED", "(/etc/hostname", "runsystem" }) do
    assert.is_nil(r.log:find(s, 1, true), what .. ": the log shows " .. s)
  end
  assert.is_nil(r.dvi:find("SECRETMARKER", 1, true), what)
  if #HOSTNAME >= 6 then assert.is_nil(r.dvi:find(HOSTNAME, 1, true), what .. ": hostname in the dvi") end
end

local function assert_clean_run(r, what)
  assert.are.equal(0, r.bibtex, what .. ": bibtex failed:\n" .. r.blg)
  assert.are.equal(0, r.latex2, what .. ": latex failed:\n" .. r.log:sub(-3000))
  assert.is_nil(r.log:find("\n! ", 1, true), what .. ": TeX error:\n" .. r.log:sub(-3000))
end

-- (font, char) pairs typeset, from dvitype's listing
local function glyphs(listing)
  local font, seen = nil, {}
  for line in listing:gmatch("[^\n]+") do
    local cur = line:match("current font is (%S+)")
    if cur then font = cur end
    local c = line:match("setchar(%d+)") or line:match("set1 (%d+)")
    if c and font then seen[font .. ":" .. c] = true end
  end
  return seen
end

describe("bibtex through BibTeX and LaTeX", function()
  local function need_tex()
    if not HAVE_TEX then
      pending("latex or bibtex is missing (Debian: texlive-latex-base texlive-binaries): TeX run skipped")
      return false
    end
    return true
  end

  it("detects a payload that works (the harness itself)", function()
    if not need_tex() then return end
    local r = run("@misc{evil,\n  title = {$\\input{secret}$ $\\input{/etc/hostname}$ "
      .. "$\\immediate\\openout5=pwnedout.tex \\immediate\\write5{x}\\immediate\\closeout5$},\n"
      .. "  author = {Eve Evil},\n  year = {2021},\n}\n", "plain")
    assert.truthy(r.log:find("secret.tex", 1, true))
    assert.truthy(r.log:find("(/etc/hostname", 1, true))
    assert.truthy(r.log:find("PWNED-DETECTED", 1, true))
    local wrote = false
    for _, f in ipairs(r.files) do if f == "pwnedout.tex" then wrote = true end end
    assert.is_true(wrote)
    cleanup(r)
  end)

  for _, style in ipairs({ "plain", "dump" }) do
    it("keeps every payload in every field inert (" .. style .. " style)", function()
      if not need_tex() then return end
      local papers = {}
      for i, p in ipairs(T.hostile) do papers[i] = p end
      papers[#papers + 1] = T.harmless
      local bib = format.render(papers, "bibtex", { abstract = true, comment = true })
      local r = run(bib, style)
      assert_inert(r, style)
      assert_clean_run(r, style)
      -- every entry was typeset
      local n = 0
      for _ in r.bbl:gmatch("\\bibitem") do n = n + 1 end
      assert.are.equal(#papers, n)
      cleanup(r)
    end)
  end

  it("keeps harmless math and accents", function()
    if not need_tex() then return end
    local r = run(format.render({ T.harmless }, "bibtex", { abstract = true, comment = true }), "dump")
    assert_clean_run(r, "harmless")
    for _, s in ipairs({ "$x^2$", "$\\alpha$", "caf{\\'e}", "na{\\\"i}ve", "Schr{\\\"o}dinger", "gar{\\c{c}}on",
      "cr\195\168me", "{$\\mathcal{O}(n \\log n)$}", "100\\%", "$\\frac{a}{b} \\leq \\sqrt{c}$", "$\\ell_1$",
      "C\\&W", "Jos{\\'e} M{\\\"u}ller", "Fran{\\c{c}}ois {\\v{S}}imek", "10.1007/978-3-030-58595-2_13" }) do
      assert.truthy(r.bbl:find(s, 1, true), s .. " not in:\n" .. r.bbl)
    end
    if r.dvitype then
      local g = glyphs(r.dvitype)
      assert.is_true(g["cmmi10:11"], "alpha in math italic")
      assert.is_true(g["cmmi10:120"], "x in math italic")
      assert.is_true(g["cmr7:50"], "a superscript 2")
      assert.is_true(g["cmr10:19"], "an acute accent")
      assert.is_true(g["cmr10:11"] or g["cmr10:24"], "a cedilla or the ff ligature")
    end
    -- the same through plain.bst, which lower-cases titles
    local p = run(format.render({ T.harmless }, "bibtex"), "plain")
    assert_clean_run(p, "harmless plain")
    assert.truthy(p.bbl:find("$x^2$", 1, true))
    assert.truthy(p.bbl:find("{$\\mathcal{O}(n \\log n)$}", 1, true))
    cleanup(r)
    cleanup(p)
  end)
end)
