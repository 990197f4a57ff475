local cli = require "arxivdigest.cli"
local ad = require "arxivdigest"

-- runs the command in-process: status, stdout, stderr (spec/helper.lua)
local H_ = dofile("spec/helper.lua")
local function run(...) return H_.run_cli({...}) end

-- runs bin/arxivdigest in a shell; returns exit status, stdout, stderr
local function shell(cmdline)
  local errf = os.tmpname()
  local p = io.popen("bin/arxivdigest " .. cmdline .. " 2>" .. errf)
  local out = p:read("a")
  local _, _, code = p:close()
  local fh = io.open(errf)
  local err = fh:read("a")
  fh:close()
  os.remove(errf)
  return code, out, err
end

local function lines(s)
  local n = 0
  for _ in s:gmatch("[^\n]*\n") do n = n + 1 end
  return n
end

describe("cli", function()
  describe("argument parser", function()
    it("accepts long, short, --x=v and -xv forms anywhere, and --", function()
      local o, pos = cli.parse_args("search",
        {"q", "--sort", "date", "-o", "out", "--format=csv", "-n5", "--", "-path"}, 1)
      assert.same({"q", "-path"}, pos)
      assert.equal("date", o.sort)
      assert.equal("5", o.limit)
      assert.equal("out", o.output)
      assert.equal("csv", o.format)
    end)

    it("reports unknown options and missing values clearly", function()
      local ok, e = pcall(cli.parse_args, "search", {"--bogus"}, 1)
      assert.is_false(ok)
      assert.equal("unknown option '--bogus' for 'search' (see arxivdigest search --help)", tostring(e))
      ok, e = pcall(cli.parse_args, "export", {"--to"}, 1)
      assert.is_false(ok)
      assert.equal("option '--to' needs a value (FORMAT)", tostring(e))
      ok, e = pcall(cli.parse_args, "filter", {"--sandbox=yes"}, 1)
      assert.is_false(ok)
      assert.equal("option '--sandbox' takes no value", tostring(e))
    end)
  end)

  it("prints help for the program and every subcommand", function()
    local status, out = run("--help")
    assert.equal(0, status)
    for _, cmd in ipairs{"search", "show", "export", "filter", "report", "stats", "similar", "index"} do
      assert.matches(cmd, out, 1, true)
      local s2, o2, e2 = run(cmd, "--help")
      assert.equal(0, s2, cmd)
      assert.equal("", e2)
      assert.matches("^usage: arxivdigest " .. cmd, o2)
      assert.matches("example:", o2, 1, true)
    end
  end)

  it("exits 2 with one line on stderr for usage errors", function()
    for _, argv in ipairs{{"frobnicate"}, {"search"}, {"search", "--bogus", "x"}, {"export"},
                          {"search", "x", "--limit", "many"}, {"index", "explode"}, {"search", "a AND (b"}} do
      local status, out, err = run(table.unpack(argv))
      assert.equal(2, status, table.concat(argv, " "))
      assert.equal("", out)
      assert.equal(1, lines(err), err)
      assert.matches("^arxivdigest: ", err)
    end
    local _, _, err = run("search", "a AND (b")
    assert.matches("column", err)
  end)

  it("searches the bundled sample with no input", function()
    local status, out = run("search", "segmentation", "--limit", "3", "--format", "{id}")
    assert.equal(0, status)
    assert.equal(3, lines(out))
    local status2, out2, err2 = run("search", "zzzyyyxxx")
    assert.equal(1, status2)
    assert.matches("no paper matches 'zzzyyyxxx'", err2)
    assert.is_string(out2)
  end)

  it("says a query is too large in one line, without a script position", function()
    local status, out, err = run("search", ("image "):rep(4097))
    assert.equal(1, status)
    assert.equal("", out)
    assert.equal("arxivdigest: query too large (more than 4096 words and operators)\n", err)
  end)

  it("shows one paper", function()
    local status, out = run("show", "2005.09623v1", "-f", "{id} {date}")
    assert.equal(0, status)
    assert.equal("2005.09623 2020-05-20\n", out)
    local s2, _, e2 = run("show", "9999.99999")
    assert.equal(1, s2)
    assert.matches("no paper with id '9999.99999'", e2)
  end)

  it("exports every record of a folder", function()
    local status, out = run("export", "--to", "jsonl", "examples/data")
    assert.equal(0, status)
    assert.equal(#assert(ad.open("examples/data")), lines(out))
    assert.equal(210, lines(out))
    for line in out:gmatch("[^\n]+") do assert.matches('^{.*"id":"', line) end
    -- through the real command, to a file
    local path = os.tmpname()
    local code = shell("export --to csv examples/data -o " .. path)
    assert.equal(0, code)
    local n = 0
    for _ in io.lines(path) do n = n + 1 end
    os.remove(path)
    assert.is_true(n >= 211)
  end)

  it("export takes the format from -o's name, as search does (review E33)", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    local want = select(2, run("export", "--to", "jsonl", "examples/data"))
    for ext, fmt in pairs { jsonl = "jsonl", bib = "bibtex", csv = "csv", md = "markdown" } do
      local path = dir .. "/x." .. ext
      local s, _, err = run("export", "examples/data", "-o", path)
      assert.equal(0, s, err)
      local f = assert(io.open(path, "rb")); local got = f:read("a"); f:close()
      assert.equal(select(2, run("export", "--to", fmt, "examples/data")), got, ext)
      -- the same file as search writes for the same name
      local s2 = run("search", "depth", "examples/data", "-o", dir .. "/s." .. ext)
      assert.equal(0, s2)
    end
    local f = assert(io.open(dir .. "/x.jsonl", "rb")); assert.equal(want, f:read("a")); f:close()
    -- --to wins over the name; an unknown name, or no -o, needs --to
    assert.equal(0, (run("export", "examples/data", "--to", "csv", "-o", dir .. "/y.jsonl")))
    f = assert(io.open(dir .. "/y.jsonl", "rb")); assert.matches("^id,", f:read("a")); f:close()
    local s3, _, e3 = run("export", "examples/data", "-o", dir .. "/x.unknown")
    assert.equal(2, s3)
    assert.matches("cannot tell the format of '.*x%.unknown' from its name", e3)
    local s4, _, e4 = run("export", "examples/data")
    assert.equal(2, s4)
    assert.matches("'export' needs --to FORMAT or -o FILE with a format's extension", e4, 1, true)
    os.execute("rm -rf " .. dir)
  end)

  it("export --to markdown writes listings back as listings, catalogs and mixes as catalogs", function()
    -- parse(export(parse(file))) gives the file's papers, every field
    local function same_papers(a, b, what)
      assert.equal(#a, #b, what)
      for i = 1, #a do
        for _, f in ipairs(ad.fields()) do
          if f ~= "source" and f ~= "line" and f ~= "raw" then
            local x, y = a[i][f], b[i][f]
            if type(x) == "table" then x, y = table.concat(x, "\0"), table.concat(y, "\0") end
            assert.equal(x, y, what .. ": paper " .. i .. " " .. f)
          end
        end
      end
    end
    local cases = {
      {paths = {"examples/data/000_21fb7b7deb0de965.txt"}, head = "# ArXiv cs.CV --Wed, 20 May 2020\n"},
      {paths = {"examples/data/004_6bca22daa1a0db69.txt", "examples/data/001_906e1fea553eeaa8.txt"},
       head = "# ArXiv cs.CV --Fri, 20 Nov 2020\n"},
      {paths = {"examples/data/003_ce175d6736be5667.txt"}, head = "# Arxiv Papers in cs.CV on 2019-10-19\n"},
    }
    for _, case in ipairs(cases) do
      local s, out, err = run("export", "--to", "markdown", table.unpack(case.paths))
      assert.equal(0, s, err)
      assert.equal(case.head, out:match("^[^\n]*\n"))
      -- (export gives them newest first, not in file order: both sides
      -- compared by digest day then arXiv id)
      local function by_day_id(list)
        local t = {}
        for i, p in ipairs(list) do t[i] = p end
        table.sort(t, function(x, y)
          if x.date ~= y.date then return x.date > y.date end
          return x.id > y.id
        end)
        return t
      end
      same_papers(by_day_id(assert(ad.open(case.paths))), by_day_id(ad.parse(out, "out.md")),
        table.concat(case.paths, " "))
      -- -f markdown and -o x.md: the same bytes
      local path = H_.tmpname() .. ".md"
      assert.equal(0, (run("export", "-f", "markdown", "-o", path, table.unpack(case.paths))))
      assert.equal(out, H_.read(path))
      os.remove(path)
    end
    -- listing and catalog papers together: the catalog style holds every field
    local s, out = run("export", "--to", "markdown", "examples/data")
    assert.equal(0, s)
    assert.matches("^# Arxiv Papers in ", out)
    assert.is_nil(out:find("\n# ArXiv ", 1, true))
    local back = ad.parse(out, "out.md")
    assert.equal(210, #back)
    for i = 1, #back do assert.equal("catalog", back[i].format) end
  end)

  it("colours the text format on a terminal, and nowhere else", function()
    if not io.open("/usr/bin/script") then
      pending("needs script(1) for a terminal")
      return
    end
    local function on_tty(env)
      local p = io.popen(env .. " script -qec 'bin/arxivdigest search depth -n 1' /dev/null")
      local out = p:read("a")
      p:close()
      return out
    end
    assert.matches("\27%[1m", on_tty("TERM=xterm"))           -- the title in bold
    assert.not_matches("\27%[", on_tty("NO_COLOR=1 TERM=xterm"))
    local _, piped = run("search", "depth", "-n", "1")
    assert.not_matches("\27%[", piped)
  end)

  it("says in numbers what a long index build read and built, on a terminal", function()
    local years = "../shared/corpus/cs.CV-years"
    if not io.open(years .. "/2009/01/20090125.md") or not io.open("/usr/bin/script") then
      pending("needs ../shared/corpus/cs.CV-years and script(1) for a terminal")
      return
    end
    local path = os.tmpname() .. ".adx"
    local p = io.popen("script -qec 'bin/arxivdigest index build " .. years .. " -o " .. path .. "' /dev/null")
    local out = p:read("a"):gsub("\r", "\n")
    p:close()
    local n = #assert(ad.open(years))
    local idx = assert(ad.load(path))
    os.remove(path)
    local function th(x) return tostring(x):reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "") end
    assert.matches("indexing " .. th(n) .. " records: done in [%d.]+ s %(" .. th(#idx) .. " papers, " ..
      th(idx:info().terms) .. " terms%)", out)
  end)

  it("shows a progress bar on a terminal when an export takes more than a second", function()
    local corpus = "../shared/corpus/cs.CV-2019"
    if not io.open(corpus .. "/01/20190101.md") or not io.open("/usr/bin/script") then
      pending("needs ../shared/corpus/cs.CV-2019 and script(1) for a terminal")
      return
    end
    local path = os.tmpname()
    -- script(1) gives the command a terminal; the bar is shown after a
    -- second, or at once with ARXIVDIGEST_PROGRESS_AFTER=0 (an export of two
    -- copies of 2019 took seconds; it takes less than one now)
    local function on_tty(extra)
      local cmd = ("ARXIVDIGEST_PROGRESS_AFTER=0 bin/arxivdigest export --to jsonl %s %s -o %s%s")
        :format(corpus, corpus, path, extra)
      local p = io.popen("script -qec '" .. cmd .. "' /dev/null")
      local out = p:read("a")
      p:close()
      return out
    end
    local out = on_tty("")
    local n = 0
    for _ in io.lines(path) do n = n + 1 end
    assert.equal(2 * #assert(ad.open(corpus)), n)
    local last = out:gsub("\r\n", "\n"):match("([^\r\n]*)\n?%s*$")
    assert.matches("^exporting %[#+%] " .. n .. "/" .. n .. " [%d.]+s$", last)
    assert.equal("", (on_tty(" --no-progress"):gsub("%s", "")))
    -- not a terminal: nothing on stderr
    local code, _, err = shell(("export --to jsonl %s %s -o %s"):format(corpus, corpus, path))
    os.remove(path)
    assert.equal(0, code)
    assert.equal("", err)
  end)

  it("runs filter scripts, sandboxed or not, with --explain", function()
    local s1, o1 = run("filter", "examples/filters/followed-authors.lua", "-f", "{id}")
    local s2, o2 = run("filter", "examples/filters/followed-authors.lua", "-f", "{id}", "--sandbox")
    assert.equal(0, s1)
    assert.equal(0, s2)
    assert.equal(o1, o2)
    -- (newest first, then by id: the order of every filter output, review B15;
    -- it was the sample's path order, 1910.11113 08812 08823 08845)
    assert.equal("1910.11113\n1910.08845\n1910.08823\n1910.08812\n", o1)
    local _, _, err = run("filter", "examples/filters/followed-authors.lua", "-f", "{id}", "--explain")
    assert.matches("yes authors%(A%. Vedaldi; Gagne, Christian; Li%-Heng Chen%)", err)
    assert.matches("\n      followed 'Li-Heng Chen' matched author 'Li-Heng Chen'\n", err, 1, true)
    -- sandboxed: the same explanation (its parts and reasons), not the whole filter's one line
    local _, _, errsb = run("filter", "examples/filters/followed-authors.lua", "-f", "{id}", "--explain",
      "--sandbox")
    assert.equal(err, errsb)
    local s3, _, e3 = run("filter", "spec/fixtures/scripts/loop.lua", "--sandbox", "--max-instructions", "100000")
    assert.equal(1, s3)
    assert.matches("sandbox: instruction budget exceeded", e3)
    local s4, _, e4 = run("filter", "spec/fixtures/scripts/esc_io.lua", "--sandbox")
    assert.equal(1, s4)
    assert.equal("arxivdigest: spec/fixtures/scripts/esc_io.lua:1: sandbox: io.open is not available "
      .. "in a sandboxed script\n", e4)
    local s5, _, e5 = run("filter", "missing.lua")
    assert.equal(1, s5)
    assert.matches("missing%.lua: No such file", e5)
  end)

  it("runs report scripts with --arg", function()
    local status, out = run("report", "examples/reports/daily.lua", "--arg", "day=2020-05-20",
      "--settings", "examples/reports/interests.lua")
    assert.equal(0, status)
    assert.matches("^# Daily digest 2020%-05%-20\n", out)
    local s2, _, e2 = run("report", "examples/reports/daily.lua", "--arg", "oops")
    assert.equal(2, s2)
    assert.matches("KEY=VALUE", e2)
  end)

  it("warns about an --arg key the script never read, also when the script fails", function()
    for _, sb in ipairs{{}, {"--sandbox"}} do
      -- read: no warning
      local s, _, e = run("report", "examples/reports/daily.lua", "--arg", "day=2020-05-20",
        "--settings", "examples/reports/interests.lua", table.unpack(sb))
      assert.equal(0, s)
      assert.not_matches("did not read", e)
      -- misspelt: the script's own error, and the keys it did not read
      local s2, _, e2 = run("report", "examples/reports/daily.lua", "--arg", "dya=2020-05-20",
        "--arg", "keywrds=nerf", "--arg", "day=2020-05-20", table.unpack(sb))
      assert.equal(1, s2)
      assert.matches("no interests", e2, 1, true)
      assert.matches("warning: examples/reports/daily.lua stopped before reading --arg day, --arg dya, "
        .. "--arg keywrds (misspelt?)", e2, 1, true)
      -- misspelt, the script runs: the keys it did not read
      local s5, _, e5 = run("report", "examples/reports/daily.lua", "--settings",
        "examples/reports/interests.lua", "--arg", "dya=2020-05-20", table.unpack(sb))
      assert.equal(0, s5)
      assert.matches("warning: examples/reports/daily.lua did not read --arg dya "
        .. "(misspelt, or a setting the script does not have)", e5, 1, true)
      -- a filter script (its settings are `...`), read per paper
      local s3, o3, e3 = run("filter", "examples/filters/followed-authors.lua", "--arg",
        "authros=He", "--arg", "authors=Qiang Chen", table.unpack(sb))
      assert.equal(0, s3)
      assert.matches("SpatialFlow", o3, 1, true)
      assert.matches("did not read --arg authros (", e3, 1, true)
      -- a settings file's keys are the script's to ignore
      local s4, _, e4 = run("report", "examples/reports/daily.lua", "--settings",
        "examples/reports/interests.lua", "--arg", "day=2020-05-20", table.unpack(sb))
      assert.equal(0, s4)
      assert.not_matches("did not read", e4)
    end
  end)

  it("prints statistics", function()
    local status, out = run("stats")
    assert.equal(0, status)
    assert.matches("papers   210", out, 1, true)
    assert.matches("2020%-05%-20%s+47", out)
    assert.matches("Li%-Heng Chen%s+2", out)
  end)

  it("finds similar papers", function()
    local status, out = run("similar", "2005.09623", "-n", "3", "-f", "{id}")
    assert.equal(0, status)
    assert.equal(3, lines(out))
    assert.not_matches("2005.09623", out, 1, true)
  end)

  it("builds, describes, updates and searches a saved index", function()
    local path = os.tmpname() .. ".adx"
    local s1, _, e1 = run("index", "build", "examples/data", "-o", path)
    assert.equal(0, s1, e1)
    local s2, o2 = run("index", "info", "-i", path)
    assert.equal(0, s2)
    assert.matches("papers%s+210", o2)
    local s3, o3 = run("search", "-i", path, "segmentation", "-f", "{id}", "--limit", "100")
    local s4, o4 = run("search", "segmentation", "-f", "{id}", "--limit", "100")
    assert.equal(0, s3)
    assert.equal(0, s4)
    assert.equal(o4, o3)
    local s5, _, e5 = run("index", "update", "-i", path, "examples/data")
    assert.equal(0, s5, e5)
    assert.matches("0 files added, 0 changed, 0 removed, %d+ unchanged; %d+ read", e5)
    local s7, _, e7 = run("index", "update", "-i", path, "examples/data/nope")
    assert.equal(1, s7)
    assert.matches("examples/data/nope: No such file", e7)
    local s6, _, e6 = run("index", "update", "examples/data")
    assert.equal(2, s6)
    assert.matches("needs %-i FILE", e6)
    os.remove(path)
  end)

  it("--verify checks every checksum of -i INDEX first: a damaged index fails at once", function()
    local path = H_.tmpname() .. ".adx"
    local bad = H_.tmpname() .. ".adx"
    local s0, _, e0 = run("index", "build", "examples/data", "-o", path)
    assert.equal(0, s0, e0)
    -- one byte flipped in the middle of the body
    local bytes = H_.read(path)
    local at = #bytes // 2
    H_.write(bad, bytes:sub(1, at - 1) .. string.char(bytes:byte(at) ~ 0xff) .. bytes:sub(at + 1))
    local cmds = {{"index", "info"}, {"index", "update"}, {"search", "depth"}, {"show", "2005.09623"},
      {"stats"}, {"export", "--to", "csv"}, {"similar", "2005.09623"}, {"recommend", "--like", "2005.09623"},
      {"filter", "examples/filters/code-release.lua"}, {"report", "examples/reports/weekly.lua"}}
    for _, argv in ipairs(cmds) do
      local a = {table.unpack(argv)}
      for _, x in ipairs{"-i", bad, "--verify", "-o", "/dev/null"} do a[#a + 1] = x end
      local s, out, err = run(table.unpack(a))
      assert.equal(1, s, table.concat(a, " "))
      assert.equal("", out)
      assert.equal("arxivdigest: " .. bad .. ": corrupted index (checksum mismatch)\n", err, table.concat(a, " "))
      -- the sound index passes the same check
      a[#argv + 2] = path
      if argv[2] ~= "update" then
        s, _, err = run(table.unpack(a))
        assert.equal(0, s, table.concat(a, " ") .. ": " .. err)
      end
    end
    -- without --verify the damage goes unseen by what does not read that part
    local s1, o1 = run("index", "info", "-i", bad)
    assert.equal(0, s1)
    assert.matches("papers%s+210", o1)
    -- and what reads it says which file is damaged, with no script position
    -- (bad data is not a bug in the command)
    local worst = H_.tmpname() .. ".adx"
    local dmg = {}
    local flip = {[#bytes // 3] = true, [#bytes // 2] = true, [#bytes * 2 // 3] = true, [#bytes - 5000] = true}
    for k = 1, #bytes do dmg[k] = flip[k] and string.char(bytes:byte(k) ~ 0xff) or bytes:sub(k, k) end
    H_.write(worst, table.concat(dmg))
    for _, argv in ipairs{{"search", "segmentation"}, {"export", "--to", "csv"},
                          {"recommend", "--like", "2005.09623"}} do
      local a = {table.unpack(argv)}
      a[#a + 1] = "-i"; a[#a + 1] = worst
      local s, _, err = run(table.unpack(a))
      assert.equal(1, s, table.concat(a, " "))
      assert.equal("arxivdigest: " .. worst .. ": corrupted index (checksum or bounds check failed)\n", err,
        table.concat(a, " "))
    end
    os.remove(worst)
    -- documented, and only with -i
    for _, cmd in ipairs{"search", "show", "index", "recommend", "stats", "export", "similar", "filter", "report"} do
      local _, help = run(cmd, "--help")
      assert.matches("%-%-verify%s+with %-i: check every checksum", help)
    end
    local s2, _, e2 = run("search", "depth", "--verify")
    assert.equal(2, s2)
    assert.equal("arxivdigest: --verify checks the saved index given with -i FILE ('search' got no -i)\n", e2)
    os.remove(path); os.remove(bad); os.remove(path .. ".model"); os.remove(bad .. ".model")
  end)

  it("minor messages of the new-user review (item 18)", function()
    -- --a (a double negation in the query language) gets the same hint as -survey; --bogus does not
    local s, _, e = run("search", "--a")
    assert.equal(2, s)
    assert.equal("arxivdigest: unknown option '--a' for 'search' (see arxivdigest search --help); "
      .. "a query that starts with '-' goes after '--': arxivdigest search -- '--a'\n", e)
    local _, _, e1 = run("search", "--ti:nerf")
    assert.matches("arxivdigest search -- '--ti:nerf'", e1, 1, true)
    local _, _, e2 = run("search", "--no-authors")
    assert.equal("arxivdigest: unknown option '--no-authors' for 'search' (see arxivdigest search --help)\n", e2)
    -- recommend --evaluate: a bad --days or format is said before the library is read
    local path = os.tmpname() .. ".adx"
    assert.equal(0, (run("index", "build", "examples/data", "-o", path)))
    for _, bad in ipairs{{"--days", "0"}, {"-f", "csv"}} do
      local s3, out3, e3 = run("recommend", "--evaluate", bad[1], bad[2], "--library",
                               "examples/reports/my-library.bib", "-i", path)
      assert.equal(2, s3)
      assert.equal("", out3)
      assert.is_nil(e3:find("library", 1, true), e3)
      assert.equal(1, lines(e3))
    end
    -- a huge query is not echoed whole
    local long = ("zqx"):rep(40000)
    local s4, _, e4 = run("search", long, "-i", path)
    assert.equal(1, s4)
    assert.is_true(#e4 < 400, #e4)
    assert.matches("no paper matches 'zqxzqx.-%.%.%.' %(a query of 120000 bytes%)", e4)
    local _, _, e5 = run("search", "zqx", "-i", path)
    assert.equal("arxivdigest: no paper matches 'zqx'\n", e5)
    os.remove(path); os.remove(path .. ".model")
    -- an index whose digest files moved: the error says how to point it at them
    local dir = H_.tmpdir()
    assert(os.execute("cp -R examples/data " .. H_.shell_quote(dir .. "/a")))
    assert.equal(0, (run("index", "build", dir .. "/a", "-o", dir .. "/i.adx")))
    assert(os.execute("mv " .. H_.shell_quote(dir .. "/a") .. " " .. H_.shell_quote(dir .. "/b")))
    local s6, _, e6 = run("search", "depth", "-i", dir .. "/i.adx", "-f", "{id} {title}")
    assert.equal(1, s6)
    assert.matches(": No such file or directory; the index " .. dir .. "/i.adx reads the papers' text from "
      .. "the digest files it was made from: if they moved, run arxivdigest index update -i "
      .. dir .. "/i.adx NEWPATH", e6, 1, true)
    assert.equal(0, (run("index", "update", "-i", dir .. "/i.adx", dir .. "/b")))
    assert.equal(0, (run("search", "depth", "-i", dir .. "/i.adx", "-f", "{id} {title}")))
    -- a missing path that no index names gets no such hint
    local _, _, e7 = run("search", "depth", dir .. "/nothing")
    assert.is_nil(e7:find("index update", 1, true))
    -- a digest file changed since: the command that updates the index
    local df = assert(io.open(dir .. "/b/001_906e1fea553eeaa8.txt", "a")); df:write("\n"); df:close()
    local s8, _, e8 = run("search", "depth", "-i", dir .. "/i.adx", "-f", "{id} {title}")
    assert.equal(1, s8)
    assert.equal("arxivdigest: " .. dir .. "/b/001_906e1fea553eeaa8.txt: source file changed since it was indexed "
      .. "(run update); to bring it up to date: arxivdigest index update -i " .. dir .. "/i.adx\n", e8)
    os.execute("rm -rf " .. H_.shell_quote(dir))
  end)

  it("says where a query that starts with '-' goes; index info prints k1 as given", function()
    local s, _, e = run("search", "-survey gan")
    assert.equal(2, s)
    assert.matches("a query that starts with '-' goes after '--': arxivdigest search -- '-survey gan'", e, 1, true)
    local s2, out = run("search", "-n", "1", "-f", "{id}", "--", "-survey gan")
    assert.equal(0, s2)
    assert.matches("^%d+%.%d+", out)
    local path = os.tmpname() .. ".adx"
    assert.equal(0, (run("index", "build", "examples/data", "-o", path)))
    local _, info = run("index", "info", "-i", path)
    assert.matches("\nk1%s+1%.2\n", info)
    os.remove(path)
  end)

  it("show takes several ids, then paths; exit 1 when one is missing", function()
    local s1, out = run("show", "2005.09623", "2011.10043", "-f", "{id}")
    assert.equal(0, s1)
    assert.equal("2005.09623\n2011.10043\n", out)
    local s2, out2, e2 = run("show", "2005.09623", "9999.99999", "examples/data", "-f", "{id}")
    assert.equal(1, s2)
    assert.equal("2005.09623\n", out2)
    assert.matches("no paper with id '9999.99999'", e2, 1, true)
  end)

  it("show says when the version asked for is not the one shown", function()
    local text = table.concat({"# Arxiv Papers in cs.CV on 2020-01-02",
      "### A Paper", "- **Arxiv ID**: http://arxiv.org/abs/2001.00001v3", "- **Categories**: **cs.CV**",
      "- **Authors**: A. Author", "- **Summary**: Words.", ""}, "\n")
    local dir = H_.tmpdir({["20200102.md"] = text})
    for _, c in ipairs{
      {"2001.00001v3", nil}, {"2001.00001", nil},
      {"2001.00001v5", "2001.00001v5: v3 shown, the newest version of 2001.00001 the input has (not v5)"},
      {"arXiv:2001.00001v1", "arXiv:2001.00001v1: v3 shown, the latest version of 2001.00001 the input has (not v1)"},
      {"https://arxiv.org/abs/2001.00001v2", "v3 shown, the latest version of 2001.00001 the input has (not v2)"},
    } do
      local st, out, err = run("show", c[1], dir, "-f", "{id} {version}")
      assert.equal(0, st, c[1])
      assert.equal("2001.00001 3\n", out, c[1])
      if c[2] then assert.matches(c[2], err, 1, true) else assert.equal("", err, c[1]) end
    end
    os.execute("rm -rf " .. H_.shell_quote(dir))
  end)

  it("export takes --to or -f, and refuses two different formats", function()
    local s1, a = run("export", "--to", "jsonl", "-n", "1")
    local s2, b = run("export", "-f", "jsonl", "-n", "1")
    assert.equal(0, s1); assert.equal(0, s2); assert.equal(a, b)
    local s3, _, e3 = run("export", "--to", "jsonl", "-f", "csv")
    assert.equal(2, s3)
    assert.matches("two formats: --to jsonl and -f csv", e3, 1, true)
  end)

  it("says why a --settings file could not be read", function()
    local s, _, e = run("report", "examples/reports/daily.lua", "--settings", "/nonexistent/settings.lua")
    assert.equal(1, s)
    assert.matches("/nonexistent/settings.lua: No such file or directory", e, 1, true)
  end)

  it("index update PATH adds PATH's files and keeps the others", function()
    -- a daily user adds a new folder: the papers of the first must stay
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir .. "/a " .. dir .. "/b"))
    assert(os.execute("cp spec/fixtures/catalog/*.md " .. dir .. "/a/"))
    assert(os.execute("cp examples/data/*.txt " .. dir .. "/b/"))
    local path = dir .. "/i.adx"
    assert.equal(0, (run("index", "build", dir .. "/a", "-o", path)))
    local _, a_only = run("index", "info", "-i", path)
    local na = tonumber(a_only:match("papers%s+(%d+)"))
    local s1, _, e1 = run("index", "update", "-i", path, dir .. "/b")
    assert.equal(0, s1, e1)
    assert.matches(" 0 removed", e1)
    assert.matches("^arxivdigest: %d+ files added", e1)
    local _, both = run("index", "info", "-i", path)
    local nb = tonumber(both:match("papers%s+(%d+)"))
    assert.is_true(nb > na, both)
    -- each file once, though it is both indexed and under the PATH given
    local nfiles = tonumber(io.popen("ls " .. dir .. "/a " .. dir .. "/b | grep -c '\\.'"):read("l"))
    assert.equal(nfiles, tonumber(both:match("files%s+(%d+)")))
    local s1b, _, e1b = run("index", "update", "-i", path, dir .. "/a", dir .. "/b")
    assert.equal(0, s1b, e1b)
    assert.matches("0 files added, 0 changed, 0 removed, ", e1b, 1, true)
    -- (files written within the same second as the build are re-checked)
    assert.equal(nfiles, tonumber(e1b:match("(%d+) unchanged")) + tonumber(e1b:match("(%d+) re%-checked") or 0))
    -- a file deleted since is dropped, the rest kept
    local first = io.popen("ls " .. dir .. "/a/*.md | head -1"):read("l")
    os.remove(first)
    local s2, _, e2 = run("index", "update", "-i", path, dir .. "/b")
    assert.equal(0, s2, e2)
    assert.matches(" 1 removed", e2)
    -- and one file added is one file
    assert(os.execute("cp spec/fixtures/catalog/old-style.md " .. dir .. "/b/"))
    local s3, _, e3 = run("index", "update", "-i", path, dir .. "/b")
    assert.equal(0, s3, e3)
    assert.matches("^arxivdigest: 1 file added,", e3)
    os.execute("rm -rf " .. dir)
  end)

  it("the installed command exits with the right status", function()
    assert.equal(0, (shell("search segmentation --limit 1")))
    assert.equal(1, (shell("search zzzyyyxxx")))
    local code, out, err = shell("search --nope")
    assert.equal(2, code)
    assert.equal("", out)
    assert.equal("arxivdigest: unknown option '--nope' for 'search' (see arxivdigest search --help)\n", err)
  end)

  it("finds the bundled sample next to the modules", function()
    local dir = cli.sample_dir()
    assert.is_not_nil(io.open(dir .. "/000_21fb7b7deb0de965.txt"))
  end)

  -- D25: a command given digest files indexes them on every run (3 s on
  -- the 51k-paper archive); when the input is large it says, once, how to
  -- save the index and give it with -i
  it("hints at saving the index when it indexes a large input, and only then", function()
    local HINT = "hint: indexing 210 papers took [%d.]+ s, and will again on every run: save the index once "
      .. "%(arxivdigest index build %-o archive%.adx examples/data%), then give %-i archive%.adx instead of the paths"
    local saved = cli.INDEX_HINT_PAPERS
    local adx = os.tmpname() .. ".adx"
    local terms = "spec/fixtures/scripts/report_terms.lua"
    local ok, err = pcall(function()
      -- the sample (210 papers) is small: no hint
      local status, _, e = run("search", "depth", "examples/data", "-n", "1")
      assert.equal(0, status)
      assert.equal("", e)
      cli.INDEX_HINT_PAPERS = 200
      for _, argv in ipairs{{"search", "depth", "examples/data", "-n", "1"},
                            {"similar", "2005.09623", "examples/data", "-n", "1"},
                            {"report", terms, "examples/data"}} do
        status, _, e = run(table.unpack(argv))
        assert.equal(0, status, e)
        assert.matches("^arxivdigest: " .. HINT .. "\n$", e)
      end
      -- not with --no-progress, nor from a saved index, nor for a report
      -- that tests no text (it builds no index), nor for 'index build'
      for _, argv in ipairs{{"search", "depth", "examples/data", "-n", "1", "--no-progress"},
                            {"report", terms, "examples/data", "--no-progress"},
                            {"report", "spec/fixtures/scripts/report_dates.lua", "examples/data"}} do
        status, _, e = run(table.unpack(argv))
        assert.equal(0, status, e)
        assert.equal("", e)
      end
      status, _, e = run("index", "build", "examples/data", "-o", adx)
      assert.equal(0, status, e)
      assert.not_matches("hint", e)
      status, _, e = run("search", "depth", "-i", adx, "-n", "1")
      assert.equal(0, status, e)
      assert.equal("", e)
      -- (a folder with a quote in its name is written as a shell takes it)
      cli.INDEX_HINT_PAPERS = 1
      local dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir '" .. dir .. "' && mkdir \"" .. dir .. "/it's\" && cp examples/data/000_* \""
        .. dir .. "/it's/\""))
      status, _, e = run("search", "depth", dir .. "/it's", "-n", "1")
      os.execute("rm -rf '" .. dir .. "'")
      assert.equal(0, status, e)
      assert.matches("index build -o archive.adx '" .. dir .. "/it'\\''s')", e, 1, true)
    end)
    cli.INDEX_HINT_PAPERS = saved
    os.remove(adx)
    assert(ok, err)
  end)
end)

describe("cli on a real archive (issue 12)", function()
  local junk
  setup(function()
    junk = os.tmpname()
    os.remove(junk)
    assert(os.execute("mkdir -p " .. junk))
    assert(os.execute("cp /etc/services " .. junk .. "/services.txt"))
    local f = assert(io.open(junk .. "/notes.md", "w")); f:write("# my notes\nnothing here\n"); f:close()
    f = assert(io.open(junk .. "/random.md", "wb"))
    math.randomseed(3)
    for _ = 1, 2000 do f:write(string.char(math.random(0, 255))) end
    f:close()
  end)
  teardown(function() os.execute("rm -rf " .. junk) end)

  it("says which files were not digests, and fails on an input without papers", function()
    local s, out, err = run("search", "nerf", junk)
    assert.equal(1, s)
    assert.equal("", out)
    assert.matches("3 files could not be read as digests %(first: " .. junk:gsub("%p", "%%%0"), err)
    assert.matches("no paper in " .. junk:gsub("%p", "%%%0"), err)
    local s2, _, err2 = run("search", "nerf", junk, "--warnings")
    assert.equal(1, s2)
    assert.matches("services%.txt: not an arXiv digest", err2)
    local path = os.tmpname() .. ".adx"
    local s3 = run("index", "build", junk, "-o", path)
    assert.equal(1, s3)
    assert.is_nil(io.open(path))
    assert.equal(1, (run("stats", junk)))
    assert.matches("no paper in .* %(no digest file found%)\n$", err)
    -- a digest with its header and no record is said as such
    local hdr = junk .. "/../hdronly-" .. tostring(os.time()) .. ".md"
    local hf = assert(io.open(hdr, "w")); hf:write("# Arxiv Papers in cs.CV on 2019-10-19\n"); hf:close()
    local s4, _, err4 = run("search", "nerf", hdr)
    os.remove(hdr)
    assert.equal(1, s4)
    assert.matches("no paper in .*hdronly%-%d+%.md %(1 digest file with no paper record%)\n$", err4)
  end)

  it("counts the warnings a file did not record, and says --warnings lists only the first 100", function()
    local dir = os.tmpname(); os.remove(dir); os.execute("mkdir -p " .. dir)
    local f = assert(io.open(dir .. "/many.md", "w"))
    f:write("# Arxiv Papers in cs.CV on 2019-10-19\n")
    for i = 1, 150 do   -- two warnings a record: 300, of which the file records 100
      f:write(string.format("### Title %d\n- **Arxiv ID**: http://arxiv.org/abs/1910.%05dv1\n- **Bogus**: x\n"
        .. "- **Summary**: s\n\n", i, i))
    end
    f:close()
    local s, _, err = run("export", "--to", "csv", dir, "-o", "/dev/null")
    assert.equal(0, s)
    assert.equal("arxivdigest: 300 warnings in 1 file (first: " .. dir .. "/many.md:4: unknown field 'Bogus' "
      .. "(ignored)); --warnings lists the first 100 of each file\n", err)
    local _, _, all = run("export", "--to", "csv", dir, "-o", "/dev/null", "--warnings")
    assert.matches("many%.md: 200 more warnings for this file were not recorded\n$", all)
    os.execute("rm -rf " .. dir)
  end)

  it("refuses paths beside -i, takes several ids and a text for similar", function()
    local path = os.tmpname() .. ".adx"
    assert.equal(0, (run("index", "build", "examples/data", "-o", path)))
    local s, _, err = run("search", "-i", path, "nerf", "/nonexistent")
    assert.equal(2, s)
    assert.matches("give no PATH", err)
    local _, one = run("similar", "2005.09623", "-i", path, "-n", "20", "-f", "{id}")
    local _, two = run("similar", "2005.09623", "2011.10043", "-i", path, "-n", "20", "-f", "{id}")
    assert.not_equal(one, two)
    assert.not_matches("2011.10043", two, 1, true)
    local s3, three = run("similar", "--text", "monocular depth estimation", "-i", path, "-n", "3", "-f", "{id}")
    assert.equal(0, s3)
    assert.equal(3, lines(three))
    -- update without paths: the files it indexes
    local s4, _, e4 = run("index", "update", "-i", path)
    assert.equal(0, s4, e4)
    assert.matches("0 removed, 5 unchanged", e4)
    os.remove(path)
    -- an old-style id (any form get takes) is an id, not a path
    for _, id in ipairs{"cs/9810003", "arXiv:cs/9810003", "https://arxiv.org/abs/cs/9810003v1"} do
      local s5, out5, e5 = run("similar", id, "spec/fixtures/index", "-n", "2", "-f", "{id}")
      assert.equal(0, s5, e5)
      assert.equal(2, lines(out5))
      assert.is_nil(out5:find("cs/9810003", 1, true))
    end
  end)

  it("takes 'help' and 'help COMMAND' for --help", function()
    local s, out = run("help")
    assert.equal(0, s)
    assert.equal(select(2, run("--help")), out)
    local s2, out2 = run("help", "search")
    assert.equal(0, s2)
    assert.equal(select(2, run("search", "--help")), out2)
    local s3, _, e3 = run("help", "serach")
    assert.equal(2, s3)
    assert.matches("^arxivdigest: unknown command 'serach' %(commands: search, ", e3)
  end)

  it("has --version, an uncut top-level help, and clear output errors", function()
    local s, out = run("--version")
    assert.equal(0, s)
    assert.matches("^arxivdigest %d", out)
    local _, help = run("--help")
    for line in help:gmatch("[^\n]+") do assert.is_true(#line <= 100, line) end
    assert.matches("search QUERY %[PATH%.%.%.%]%s+Papers matching QUERY, best first\n", help)
    local s2, _, e2 = run("search", "depth", "-n", "0")
    assert.equal(0, s2)
    assert.matches("12 papers match 'depth' %(none shown: %-n 0%)", e2)
    local s1, o1, e1 = run("search", "id:2005.09623", "-n", "0")
    assert.equal(0, s1)
    assert.equal("", o1)
    assert.equal("arxivdigest: 1 paper matches 'id:2005.09623' (none shown: -n 0)\n", e1)
    -- filter -n 0: what was kept, not "kept no paper" (exit 0, as search)
    local s0, _, e0 = run("filter", "examples/filters/segmentation.lua", "-n", "0")
    assert.equal(0, s0)
    assert.matches("^arxivdigest: the filter kept %d+ papers %(none shown: %-n 0%)\n$", e0)
    local s3, _, e3 = run("search", "depth", "-o", "/nonexistent-dir/x.md")
    assert.equal(1, s3)
    assert.equal("arxivdigest: /nonexistent-dir/x.md: No such file or directory\n", e3)
    local s4, _, e4 = run("search", "depth", "-o", os.tmpname() .. ".pdf")
    assert.equal(2, s4)
    assert.matches("cannot tell the format of .*%.pdf' from its name: give %-f FORMAT", e4)
    local s5, _, e5 = run("search", "depth", "-f", "{bogus}")
    assert.equal(2, s5)
    assert.equal("arxivdigest: template: unknown field bogus", e5:match("^[^(]*"):gsub("%s+$", ""))
  end)

  it("-o writes to /dev/null, a named pipe and a device in place; refuses a directory and a disk", function()
    local sq = H_.shell_quote
    -- /dev/null: every command that writes -o, with or without -f
    local one = "examples/data/003_ce175d6736be5667.txt"
    for _, argv in ipairs{{"search", "depth"}, {"search", "depth", "-f", "csv"}, {"show", "2005.09623"},
        {"export", "--to", "jsonl", one}, {"stats"}, {"similar", "2005.09623"},
        {"report", "examples/reports/weekly.lua"}, {"report", "examples/reports/weekly.lua", "--sandbox"},
        {"filter", "examples/filters/code-release.lua"}} do
      argv[#argv + 1] = "-o"
      argv[#argv + 1] = "/dev/null"
      local s, out, err = run(table.unpack(argv))
      assert.equal(0, s, table.concat(argv, " ") .. ": " .. err)
      assert.equal("", out, table.concat(argv, " "))
    end
    local dir = H_.tmpname()
    assert(os.execute("mkdir " .. sq(dir) .. " && mkfifo " .. sq(dir .. "/fifo")))
    -- a named pipe made with mkfifo: the reader gets what stdout would
    local rc, msg = H_.sh("(timeout 60 cat " .. sq(dir .. "/fifo") .. " > " .. sq(dir .. "/got") .. " & "
      .. "timeout 60 bin/arxivdigest export --to csv " .. one .. " -o " .. sq(dir .. "/fifo") .. "; "
      .. "s=$?; wait; exit $s)")
    assert.equal(0, rc, msg)
    local _, want = shell("export --to csv " .. one)
    assert.equal(want, H_.read(dir .. "/got"))
    -- a device: written in place, its errors named (root: a /dev/full of our own)
    local dev = os.execute("mknod " .. sq(dir .. "/full") .. " c 1 7 2>/dev/null")
    if dev then
      local s, _, err = run("export", "--to", "csv", one, "-o", dir .. "/full")
      assert.equal(1, s)
      assert.equal("arxivdigest: " .. dir .. "/full: No space left on device\n", err)
    end
    -- refused as before: a directory; and a block device (a disk) is never written
    assert(os.execute("mkdir " .. sq(dir .. "/sub")))
    local s, _, err = run("export", "--to", "csv", one, "-o", dir .. "/sub")
    assert.equal(1, s)
    assert.equal("arxivdigest: " .. dir .. "/sub: Is a directory\n", err)
    -- without -f, a directory is said as one, not as a name that tells no format
    s, _, err = run("search", "segmentation", "-o", dir .. "/sub/")
    assert.equal(1, s)
    assert.equal("arxivdigest: " .. dir .. "/sub/: Is a directory\n", err)
    local blk = os.execute("mknod " .. sq(dir .. "/disk") .. " b 7 200 2>/dev/null")
    if blk then
      s, _, err = run("export", "--to", "csv", one, "-o", dir .. "/disk")
      assert.equal(1, s)
      assert.equal("arxivdigest: " .. dir .. "/disk: not a regular file (a block device)\n", err)
    end
    -- nothing renamed over, nothing left beside them
    local _, ls = H_.sh("ls -la " .. sq(dir))
    os.execute("rm -rf " .. sq(dir))
    assert.truthy(ls:find("\np[^\n]* fifo\n"), ls)
    if dev then assert.truthy(ls:find("\nc[^\n]* full\n"), ls) end
    if blk then assert.truthy(ls:find("\nb[^\n]* disk\n"), ls) end
    assert.is_nil(ls:find("%.tmp"), ls)
  end)

  it("counts a paper once for a category or author its record lists twice, and only digest files", function()
    local stats = require "arxivdigest.stats"
    local dir = H_.tmpdir{["20190101.md"] = "# Arxiv Papers in cs.CV on 2019-01-01\n### A title\n"
      .. "- **Arxiv ID**: http://arxiv.org/abs/1901.00001v1\n"
      .. "- **Categories**: **cs.CV**, cs.CV, cs.LG\n- **Published**: 2019-01-01 00:00:00+00:00\n"
      .. "- **Authors**: Ada Lovelace, Ada Lovelace\n- **Summary**: Words.\n",
      ["NOTICE.md"] = "Not a digest.\n"}
    local c = assert(ad.open(dir))
    for _, st in ipairs({ stats.counts(c), stats.counts(assert(ad.index(c))) }) do
      assert.equal(1, st.categories["cs.CV"])
      assert.equal(1, st.authors["Ada Lovelace"])
      assert.equal(1, st.files)
      -- every file read, as idx:info() counts them (review E32): labelled apart
      assert.equal(2, st.files_read)
    end
    local idx = assert(ad.index(c))
    assert.equal(2, idx:info().files)
    local s, out = run("stats", dir)
    assert.equal(0, s)
    assert.truthy(out:find("\nfiles    1 digests (of 2 files read: 1 not a digest)\n", 1, true), out)
    local _, js = run("stats", dir, "-f", "jsonl")
    local tot = require("arxivdigest.json").decode(js:match("^[^\n]+"))
    assert.equal(1, tot.files)
    assert.equal(2, tot.files_read)
    os.execute("rm -rf " .. dir)
  end)

  it("summarises stats with --top and every format, with the archive's gaps", function()
    local s, out = run("stats", "--top", "3")
    assert.equal(0, s)
    assert.matches("top authors\n  Li%-Heng Chen%s+2", out)
    local authors = out:match("top authors\n(.-)\n\n")
    assert.equal(3, select(2, authors:gsub("\n", "")) + 1)
    assert.matches("gaps in the archive", out)
    local s2, js = run("stats", "-f", "jsonl", "--top", "2")
    assert.equal(0, s2)
    for line in js:gmatch("[^\n]+") do assert.matches('^{.*"section":"', line) end
    assert.equal(2, select(2, js:gsub('"section":"authors"', "")))
    local s3, md = run("stats", "-f", "markdown")
    assert.equal(0, s3)
    assert.matches("^# Archive statistics", md)
    assert.equal(2, (run("stats", "-f", "bibtex")))
    -- --top 0: no "the longest:" heading left with no row under it
    local s4, out4 = run("stats", "--top", "0")
    assert.equal(0, s4)
    assert.matches("gaps in the archive %(weekdays digests%): %d+ missing digest days; %d+ runs of 3 days or more\n",
      out4)
    assert.is_nil(out4:find("the longest", 1, true))
    -- -n is --top: both with two values is a usage error, not one silently dropped
    local s5, _, e5 = run("stats", "-n", "2", "--top", "3")
    assert.equal(2, s5)
    assert.equal("arxivdigest: 'stats' takes -n N or --top N (the same option), not both (got -n 2 and --top 3)\n",
      e5)
    assert.equal(0, (run("stats", "-n", "2", "--top", "2")))
    -- -o with a name that tells no format: an error, as for every command (it wrote text)
    local x = os.tmpname() .. ".unknown"
    local s6, _, e6 = run("stats", "-o", x)
    assert.equal(2, s6)
    assert.matches("^arxivdigest: cannot tell the format of '.-%.unknown' from its name", e6)
    assert.is_nil(io.open(x))
    assert.equal(0, (run("stats", "-f", "csv", "-o", x)))
    assert.matches("^section,key,count\n", H_.read(x))
    os.remove(x)
  end)
end)

describe("filter's order (review B15)", function()
  -- one order, newest first (digest day, then arXiv id, highest first),
  -- from a folder (read in path order) or an index (BM25 order for a query
  -- filter before), so that -n N keeps the same papers either way
  local FILTERS = {"code-release", "segmentation", "recent-3d", "followed-authors"}

  local function newest_first(out)
    local prev
    for line in out:gmatch("[^\n]+") do
      if prev and line > prev then return false, prev .. " before " .. line end
      prev = line
    end
    return true
  end

  local function same_both_ways(folder, adx, n)
    for _, name in ipairs(FILTERS) do
      local script = "examples/filters/" .. name .. ".lua"
      local s1, a = run("filter", script, folder, "-f", "{date} {id}")
      local s2, b = run("filter", script, "-i", adx, "-f", "{date} {id}")
      assert.equal(s1, s2, name)
      assert.equal(a, b, name)
      assert.is_true(newest_first(a))
      local _, an = run("filter", script, folder, "-f", "{date} {id}", "-n", tostring(n))
      local _, bn = run("filter", script, "-i", adx, "-f", "{date} {id}", "-n", tostring(n))
      assert.equal(an, bn, name)
      assert.equal(a:match(("[^\n]*\n"):rep(n)) or a, an, name)
    end
  end

  it("is the same from the sample's folder and from its index", function()
    local adx = os.tmpname() .. ".adx"
    assert.equal(0, (run("index", "build", "examples/data", "-o", adx)))
    same_both_ways("examples/data", adx, 3)
    os.remove(adx)
  end)

  it("is the same from the 2019 archive's folder and from its index", function()
    local dir = "../shared/corpus/cs.CV-2019"
    if not H_.have(dir .. "/01/20190101.md") then return pending("no " .. dir) end
    local adx = os.tmpname() .. ".adx"
    assert.equal(0, (run("index", "build", dir, "-o", adx)))
    same_both_ways(dir, adx, 10)
    os.remove(adx)
  end)
end)

describe("-o and the process's own stdout (review A1, A11)", function()
  local function sq(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
  local A = "bin/arxivdigest search segmentation -n 1 -f '{id}'"

  it("writes -o /dev/stdout, /dev/fd/1, - and stdout's own file in place, keeping the rest", function()
    local dir = H_.tmpname()
    assert(os.execute("mkdir " .. sq(dir)))
    local _, id = shell("search segmentation -n 1 -f '{id}'")
    assert.matches("^%d%d%d%d%.%d+\n$", id)
    for _, o in ipairs{"/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", "-"} do
      local log = dir .. "/log.txt"
      assert(os.execute("{ echo HEADER; " .. A .. " -o " .. o .. "; echo FOOTER; } > " .. sq(log)))
      assert.equal("HEADER\n" .. id .. "FOOTER\n", H_.read(log), o)
      assert(os.execute("echo HEAD > " .. sq(log) .. "; " .. A .. " -o " .. o .. " >> " .. sq(log)))
      assert.equal("HEAD\n" .. id, H_.read(log), o)
    end
    -- a path that is stdout's own file (same device and inode)
    local log = dir .. "/same.txt"
    assert(os.execute("echo HEAD > " .. sq(log) .. "; " .. A .. " -o " .. sq(log) .. " >> " .. sq(log)
      .. "; echo TAIL >> " .. sq(log)))
    assert.equal("HEAD\n" .. id .. "TAIL\n", H_.read(log))
    -- /dev/stderr: the stream of stderr
    assert(os.execute("{ echo E >&2; " .. A .. " -o /dev/stderr; } 2> " .. sq(dir .. "/err.txt") .. " >/dev/null"))
    assert.equal("E\n" .. id, H_.read(dir .. "/err.txt"))
    -- no file named '-', nothing left beside the logs
    local _, ls = H_.sh("cd " .. sq(dir) .. " && ls -A")
    assert.equal("err.txt\nlog.txt\nsame.txt\n", ls)
    os.execute("rm -rf " .. sq(dir))
  end)

  it("core.samefile compares device and inode; output.std_stream names the streams", function()
    local core = require "arxivdigest.core"
    local output = require "arxivdigest.output"
    local dir = H_.tmpname()
    assert(os.execute("mkdir " .. sq(dir) .. " && echo x > " .. sq(dir .. "/a") .. " && ln -s a " .. sq(dir .. "/l")
      .. " && ln " .. sq(dir .. "/a") .. " " .. sq(dir .. "/h")))
    local rc, out = H_.sh("lua5.4 -e 'package.cpath = \"build/?.so;\" .. package.cpath; "
      .. "local c = require \"arxivdigest.core\"; for _, p in ipairs{\"a\", \"l\", \"h\", \"none\"} do "
      .. "io.stderr:write(tostring(c.samefile(" .. sq(dir):gsub("'", "\"") .. " .. \"/\" .. p, 1)), \" \") end' >> "
      .. sq(dir .. "/a") .. " 2>&1")
    assert.equal(0, rc, out)
    assert.equal("x\ntrue true true false ", H_.read(dir .. "/a"))
    assert.is_false(core.samefile(dir .. "/none", 1))
    assert.equal("stdout", output.std_stream("-"))
    assert.equal("stdout", output.std_stream("/dev/stdout"))
    assert.equal("stderr", output.std_stream("/dev/fd/2"))
    assert.is_nil(output.std_stream(dir .. "/a"))
    os.execute("rm -rf " .. sq(dir))
  end)

  it("gives '-' and /dev/stdout the command's default format, and writes them to its stdout stream", function()
    local s, out, err = run("search", "segmentation", "-n", "1", "-o", "-")
    assert.equal(0, s, err)
    assert.matches("^%[1%] ", out)
    local s2, out2 = run("search", "segmentation", "-n", "1", "-o", "/dev/stdout", "-f", "{id}")
    assert.equal(0, s2)
    assert.matches("^%d%d%d%d%.%d+\n$", out2)
    local s3, out3 = run("stats", "-o", "-")
    assert.equal(0, s3)
    assert.matches("^papers ", out3)
    local s4, out4 = run("report", "examples/reports/weekly.lua", "-o", "-")
    assert.equal(0, s4)
    assert.equal(select(2, run("report", "examples/reports/weekly.lua")), out4)
  end)
end)

describe("options a command does not take (review A10, A12, D21)", function()
  it("are a usage error naming the command and the option", function()
    local adx = os.tmpname() .. ".adx"
    assert.equal(0, (run("index", "build", "examples/data", "-o", adx)))
    local cases = {
      {{"index", "build", "examples/data", "-f", "jsonl"}, "'index' does not take -f/--format"},
      {{"index", "build", "examples/data", "-n", "5"}, "'index' does not take -n/--limit"},
      {{"index", "info", "-i", adx, "-f", "jsonl"}, "'index' does not take -f/--format"},
      {{"show", "2005.09623", "2011.10043", "-n", "1"}, "'show' does not take -n/--limit"},
      {{"show", "2005.09623", "--limit=1"}, "'show' does not take -n/--limit"},
      {{"watch", "run", "w.lua", "-n", "3"}, "'watch' does not take -n/--limit: it takes each watch's limit"},
      {{"watch", "test", "w.lua", "-i", adx}, "'watch' does not take -i/--index"},
      {{"watch", "test", "w.lua", "--verify"}, "'watch' does not take --verify"},
      {{"filter", "examples/filters/code-release.lua", "--max-instructions", "1000"},
       "option '--max-instructions' is a budget of --sandbox ('filter' got no --sandbox)"},
      {{"report", "examples/reports/weekly.lua", "--max-memory", "1"},
       "option '--max-memory' is a budget of --sandbox ('report' got no --sandbox)"},
      {{"search", "depth", "-i", adx, "-i", adx}, "option -i/--index given twice"},
      {{"search", "depth", "-n", "1", "--limit", "2"}, "option -n/--limit given twice ('1' and '2')"},
      {{"stats", "--top", "1", "--top", "2"}, "option --top given twice ('1' and '2')"},
    }
    for _, c in ipairs(cases) do
      local s, out, err = run(table.unpack(c[1]))
      local what = table.concat(c[1], " ")
      assert.equal(2, s, what .. ": " .. err)
      assert.equal("", out, what)
      assert.truthy(err:find(c[2], 1, true), what .. ": " .. err)
    end
    -- what they do take still works; the budgets with --sandbox
    assert.equal(0, (run("filter", "examples/filters/code-release.lua", "--sandbox", "--max-memory", "64",
      "-o", "/dev/null")))
    local s, out = run("index", "info", "-i", adx)
    assert.equal(0, s)
    assert.matches("papers%s+210\n", out)
    assert.equal(0, (run("stats", "-n", "3", "-o", "/dev/null")))
    os.remove(adx)
  end)

  it("index build/update refuse an -o that names an output format or stdout", function()
    local dir = H_.tmpname()
    assert(os.execute("mkdir " .. dir))
    for _, name in ipairs{"x.jsonl", "x.csv", "x.md", "x.html"} do
      local s, _, err = run("index", "build", "examples/data", "-o", dir .. "/" .. name)
      assert.equal(2, s, name)
      assert.truthy(err:find("saves a binary index, and -o " .. dir .. "/" .. name .. " names the", 1, true), err)
    end
    local s, _, err = run("index", "build", "examples/data", "-o", "-")
    assert.equal(2, s)
    assert.equal("arxivdigest: 'index build' saves a binary index to a file, not to '-'\n", err)
    assert.equal(0, (run("index", "build", "examples/data", "-o", dir .. "/x.adx")))
    assert.equal(2, (run("index", "update", "-i", dir .. "/x.adx", "-o", dir .. "/y.csv")))
    local _, ls = H_.sh("ls -A " .. dir)
    assert.equal("x.adx\n", ls)
    os.execute("rm -rf " .. dir)
  end)

  it("--help lists only the options and formats a command takes", function()
    local function opts_of(cmd)
      local _, help = run(cmd, "--help")
      return help:match("\noptions:\n(.-)\n\n")
    end
    local idx = opts_of("index")
    assert.is_nil(idx:find("--format", 1, true))
    assert.is_nil(idx:find("--limit", 1, true))
    local w = opts_of("watch")
    for _, o in ipairs{"--index", "--limit", "--verify", "bibtex", "template"} do
      assert.is_nil(w:find(o, 1, true), "watch: " .. o)
    end
    assert.truthy(w:find("text, markdown, html, jsonl, atom, email", 1, true), w)
    local st = opts_of("stats")
    assert.truthy(st:find("output format: text, markdown, jsonl, csv\n", 1, true), st)
    assert.is_nil(st:find("bibtex", 1, true))
    assert.is_nil(opts_of("show"):find("--limit", 1, true))
    local se = opts_of("search")
    for _, o in ipairs{"--index", "--limit", "--verify", "--output", "bibtex", "template"} do
      assert.truthy(se:find(o, 1, true), "search: " .. o)
    end
    for _, cmd in ipairs{"search", "show", "export", "filter", "report", "stats", "similar", "index", "watch"} do
      for line in opts_of(cmd):gmatch("[^\n]+") do
        if line:find("%-%-format") then assert.is_true(#line <= 100, line) end
      end
    end
  end)
end)

describe("report and -n (review A2)", function()
  it("refuses -n, which cut the papers a report counts, and names the script's own settings", function()
    for _, script in ipairs{"authors", "daily", "weekly"} do
      local s, out, err = run("report", "examples/reports/" .. script .. ".lua", "-n", "1")
      assert.equal(2, s, script)
      assert.equal("", out)
      assert.truthy(err:find("'report' does not take -n/--limit: it would cut the papers the script counts", 1,
        true), err)
      assert.truthy(err:find("--arg limit=N", 1, true), err)
    end
    assert.is_nil(select(2, run("report", "--help")):match("\noptions:\n(.-)\n\n"):find("--limit", 1, true))
    -- the script's own limit lists fewer; the counts stay whole
    local s, a = run("report", "examples/reports/weekly.lua", "--arg", "top=1")
    assert.equal(0, s)
    local _, b = run("report", "examples/reports/weekly.lua")
    assert.equal(b:match("(%d+) papers"), a:match("(%d+) papers"))
  end)
end)

describe("report -o FILE whose extension names another format (review A5)", function()
  it("warns on stderr, naming both formats and -f, and writes the script's own output", function()
    local dir = H_.tmpname()
    assert(os.execute("mkdir " .. dir))
    local _, md = run("report", "examples/reports/weekly.lua")
    for _, name in ipairs{"w.html", "w.bib"} do
      for _, sb in ipairs{false, true} do
        local argv = {"report", "examples/reports/weekly.lua", "-o", dir .. "/" .. name}
        if sb then argv[#argv + 1] = "--sandbox" end
        local s, out, err = run(table.unpack(argv))
        assert.equal(0, s, err)
        assert.equal("", out)
        local fmt = name == "w.html" and "html" or "bibtex"
        assert.equal("arxivdigest: warning: -o " .. dir .. "/" .. name .. " names the " .. fmt .. " format, but "
          .. "examples/reports/weekly.lua writes its own format (a function), which " .. dir .. "/" .. name
          .. " gets unchanged; -f " .. fmt .. " renders the report's papers in " .. fmt .. " instead\n", err)
        assert.equal(md, H_.read(dir .. "/" .. name))
      end
    end
    -- no warning for .md (the script's text), with -f, nor where the script names no format
    local s, _, err = run("report", "examples/reports/weekly.lua", "-o", dir .. "/w.md")
    assert.equal(0, s)
    assert.equal("", err)
    s, _, err = run("report", "examples/reports/weekly.lua", "-o", dir .. "/w.html", "-f", "html")
    assert.equal(0, s)
    assert.equal("", err)
    H_.write(dir .. "/plain.lua", "return function(ad, args) return args.source:limit(2) end\n")
    H_.write(dir .. "/named.lua", "return function(ad, args) return args.source:limit(2):format('jsonl') end\n")
    s, _, err = run("report", dir .. "/plain.lua", "-o", dir .. "/p.csv")
    assert.equal(0, s)
    assert.equal("", err)
    assert.matches("^id,version,title", H_.read(dir .. "/p.csv"))
    -- a format by name that differs from the extension's
    s, _, err = run("report", dir .. "/named.lua", "-o", dir .. "/n.csv")
    assert.equal(0, s)
    assert.truthy(err:find("names the csv format, but " .. dir .. "/named.lua formats its output as jsonl", 1, true),
      err)
    assert.matches('^{"id":', H_.read(dir .. "/n.csv"))
    s, _, err = run("report", dir .. "/named.lua", "-o", dir .. "/n.jsonl")
    assert.equal(0, s)
    assert.equal("", err)
    os.execute("rm -rf " .. dir)
  end)
end)

describe("messages for a path, an id or an offset mistaken (review B15, B16)", function()
  it("hints to quote a query of several words", function()
    local s, _, err = run("search", "segmentation", "diffusion")
    assert.equal(1, s)
    assert.equal("arxivdigest: diffusion: No such file or directory; a query of several words goes in quotes: "
      .. "arxivdigest search 'segmentation diffusion'\n", err)
    local adx = os.tmpname() .. ".adx"
    assert.equal(0, (run("index", "build", "examples/data", "-o", adx)))
    s, _, err = run("search", "segmentation", "diffusion", "-i", adx)
    assert.equal(2, s)
    assert.truthy(err:find("give no PATH (or drop -i): diffusion; a query of several words goes in quotes: "
      .. "arxivdigest search 'segmentation diffusion'\n", 1, true), err)
    -- a real path given too stays a path, after the quoted query (it was
    -- once put inside the quotes: 'segmentation diffusion examples/data')
    s, _, err = run("search", "segmentation", "diffusion", "examples/data")
    assert.equal(1, s)
    assert.equal("arxivdigest: diffusion: No such file or directory; a query of several words goes in quotes: "
      .. "arxivdigest search 'segmentation diffusion' examples/data\n", err)
    s, _, err = run("search", "segmentation", "examples/data", "diffusion")
    assert.equal(1, s)
    assert.equal("arxivdigest: diffusion: No such file or directory; a query of several words goes in quotes: "
      .. "arxivdigest search 'segmentation diffusion' examples/data\n", err)
    -- with -i, a real path is no word of the query: no quote hint for it
    s, _, err = run("search", "segmentation", "-i", adx, "examples/data")
    assert.equal(2, s)
    assert.equal("arxivdigest: 'search' reads the index -i " .. adx .. ": give no PATH (or drop -i): "
      .. "examples/data\n", err)
    os.remove(adx)
    -- a real path still works
    local s2, out = run("search", "segmentation", "examples/data", "-n", "1", "-f", "{id}")
    assert.equal(0, s2)
    assert.matches("^%d+%.%d+\n$", out)
  end)

  it("similar --text and recommend say why nothing came (a text of no indexed word, -n 0, no candidate)", function()
    local s, out, err = run("similar", "--text", "zzzqqqxx", "-f", "{id}")
    assert.equal(1, s)
    assert.equal("", out)
    assert.equal("arxivdigest: no paper is similar to --text 'zzzqqqxx' (none of its words is in the index)\n", err)
    s, out, err = run("similar", "--text", "  ")
    assert.equal(2, s)
    assert.equal("", out)
    assert.equal("arxivdigest: option '--text' needs a text (got an empty one)\n", err)
    -- -n 0 is no "empty index"
    s, out, err = run("recommend", "--like", "2005.09623", "-n", "0")
    assert.equal(0, s)
    assert.equal("", out)
    assert.matches("^arxivdigest: %d+ candidate papers %(none shown: %-n 0%)\n$", err)
    -- every paper of the newest day liked: said as such, not "empty index?"
    local dir = os.tmpname(); os.remove(dir); os.execute("mkdir -p " .. dir)
    local f = assert(io.open(dir .. "/one.md", "w"))
    -- the first record of the catalog sample, on a day after the other file's
    local n, text = 0, {}
    for l in H_.read("examples/data/003_ce175d6736be5667.txt"):gmatch("[^\n]*\n") do
      n = n + 1
      if n > 12 then break end
      text[n] = l
    end
    f:write((table.concat(text):gsub("2019%-10%-19\n", "2021-01-04\n", 1)))
    f:close()
    s, out, err = run("recommend", "--like", "1910.11126", dir .. "/one.md", "examples/data/001_906e1fea553eeaa8.txt")
    assert.equal(1, s)
    assert.matches("0 papers\n$", out)
    assert.equal("arxivdigest: no candidate paper: every paper of the newest digest day is in the library or "
      .. "disliked (--since DAY or -q QUERY gives others)\n", err)
    os.execute("rm -rf " .. dir)
  end)

  it("says none is past the offset and how many match", function()
    local _, all = run("search", "segmentation", "-n", "1000", "-f", "{id}")
    local n = select(2, all:gsub("\n", ""))
    assert.is_true(n > 1)
    local s, _, err = run("search", "segmentation", "--offset", "1000", "-f", "{id}")
    assert.equal(1, s)
    assert.equal(string.format("arxivdigest: no paper past --offset 1000: %d papers match 'segmentation'\n", n), err)
    local s2, _, err2 = run("search", "zzzyyyxxx", "--offset", "3")
    assert.equal(1, s2)
    assert.equal("arxivdigest: no paper matches 'zzzyyyxxx'\n", err2)
  end)

  it("numbers the papers after an offset by their rank", function()
    local _, all = run("search", "segmentation", "-n", "5")
    local _, part = run("search", "segmentation", "-n", "2", "--offset", "3")
    local ranks = {}
    for r, title in part:gmatch("\n?%[(%d+)%] ([^\n]+)") do ranks[#ranks + 1] = r; assert.is_truthy(all:find("[" .. r .. "] " .. title, 1, true)) end
    assert.are.same({ "4", "5" }, ranks)
  end)

  it("show: a name that is neither a paper id nor a readable file says so", function()
    local s, out, err = run("show", "nonexist.md")
    assert.equal(1, s)
    assert.equal("", out)
    assert.equal("arxivdigest: 'nonexist.md' is neither a paper id nor a readable file\n", err)
    s, out, err = run("show", "README.md")
    assert.equal(1, s)
    assert.equal("", out)
    assert.equal("arxivdigest: 'README.md' is a file, not a paper id (usage: arxivdigest show ID [ID...] [PATH...])\n",
      err)
    s, out, err = run("show", "9999.99999")
    assert.equal(1, s)
    assert.equal("", out)
    assert.equal("arxivdigest: no paper with id '9999.99999'\n", err)
  end)
end)
