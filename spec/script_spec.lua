local script = require "arxivdigest.script"
local ad = require "arxivdigest"
local f = require "arxivdigest.filter"

local DIR = "spec/fixtures/scripts/"

describe("script", function()
  local sample
  setup(function() sample = assert(ad.open("examples/data")) end)

  describe("filter scripts", function()
    -- review C22: script.filter(nil) said "bad argument #1 (script path expected, got nil)"
    it("name the function when the path is not a string", function()
      for _, name in ipairs({"filter", "run", "report", "run_sandboxed"}) do
        assert.matches("^spec/script_spec.lua:%d+: bad argument #1 to '" .. name .. "' %(script path expected, got nil%)$",
          select(2, pcall(function() script[name](nil) end)))
      end
      assert.error_matches(function() ad.script.filter(42) end,
        "bad argument #1 to 'filter' (script path expected, got number)", 1, true)
    end)

    it("refuse an options table with a key they do not take, before running the script", function()
      -- {sanbox = true} ran esc_io.lua unsandboxed (it read /etc/passwd):
      -- a misspelt option was ignored, the script ran with the host's io
      local calls = {
        filter = function(o) local r = script.filter(DIR .. "esc_io.lua", o); return r end,
        run = function(o) local r = script.run(DIR .. "esc_io.lua", o); return r end,
        report = function(o) local r = script.report(DIR .. "esc_io.lua", o); return r end,
        run_sandboxed = function(o) local r = script.run_sandboxed(DIR .. "esc_io.lua", o); return r end,
      }
      for name, call in pairs(calls) do
        local ok, err = pcall(call, {sanbox = true})
        assert.is_false(ok, name)
        assert.matches("^spec/script_spec.lua:%d+: bad argument #2 to '" .. name
          .. "' %(unknown option 'sanbox' %(known: [%w_, ]+%)%)$", err, 1)
        ok, err = pcall(call, "sandbox")
        assert.is_false(ok, name)
        assert.matches("bad argument #2 to '" .. name .. "' (options table expected, got string)", err, 1, true)
      end
      assert.error_matches(function() script.sandbox({max_memroy = 1}) end,
        "bad argument #1 to 'sandbox' (unknown option 'max_memroy' (known: max_instructions, max_memory))", 1, true)
      -- the keys they take pass, and so does a table given back (unread_args)
      local opts = {sandbox = true, max_instructions = 1e7, max_memory = 2^26, args = {}, watch_args = {}}
      assert.truthy(script.filter(DIR .. "filter_ok.lua", opts))
      assert.truthy(script.filter(DIR .. "filter_ok.lua", opts))
      assert.equal(1, script.report(DIR .. "report_args.lua",
        {source = sample, index = false, indexer = ad.index, args = {topic = "x"}}):count())
    end)

    it("load a script returning a filter", function()
      local flt = script.filter(DIR .. "filter_ok.lua")
      assert.is_true(f.is_filter(flt))
      assert.equal("category(cs.CV) AND keywords(segmentation)", tostring(flt))
      assert.equal(ad.from(sample):where(f.category("cs.CV") * f.keywords{"segmentation"}):count(),
        ad.from(sample):where(flt):count())
    end)

    it("note which settings of watch_args the script read (host and sandbox alike)", function()
      for _, sandbox in ipairs{false, true} do
        local function unread(args, n)
          local opts = {sandbox = sandbox, args = args, watch_args = {"word", "lazy", "all", "typo"}}
          local flt = script.filter(DIR .. "filter_args.lua", opts)
          local before = opts.unread_args()
          ad.from(sample):where(flt):limit(n or 1):count()
          return before, opts.unread_args()
        end
        -- read at load time: word; per paper: lazy (only once a paper is seen)
        local b1, a1 = unread({word = "gan", lazy = false, typo = "x"})
        assert.same({"lazy", "typo"}, b1)
        assert.same({"typo"}, a1)
        -- pairs reads every key
        local b2 = unread({all = true, typo = "x"})
        assert.same({}, b2)
        -- keys not given are not listed
        local b3 = unread({})
        assert.same({}, b3)
      end
      -- a report: args.KEY
      local opts = {args = {topic = "x", topc = "y"}, watch_args = {"topic", "topc"}, source = sample}
      local pipe = script.report(DIR .. "report_args.lua", opts)
      assert.equal(1, pipe:count())
      assert.same({"topc"}, opts.unread_args())
    end)

    it("load a script returning a function", function()
      local flt = script.filter(DIR .. "filter_fn.lua")
      assert.equal("script(" .. DIR .. "filter_fn.lua)", tostring(flt))
      local n = ad.from(sample):where(flt):count()
      local want = 0
      for p in sample:papers() do if p.title:lower():find("gan", 1, true) then want = want + 1 end end
      assert.equal(want, n)
      assert.is_true(n > 0)
    end)

    it("keep their pushdown in the sandbox when wholly expressible as a query", function()
      local flt = script.filter(DIR .. "filter_ok.lua", {sandbox = true})
      assert.equal("script", flt.kind)
      assert.is_nil(flt:to_ast())                 -- keywords need the text
      assert.equal(ad.from(sample):where(script.filter(DIR .. "filter_ok.lua")):count(),
        ad.from(sample):where(flt):count())
      local cheap = script.filter(DIR .. "filter_cheap.lua", {sandbox = true})
      assert.same({type = "and", {type = "cat", value = "cs.CV"},
                   {type = "date", from = "2020-05-01", to = "2020-05-31"}}, cheap:to_ast())
      local p = ad.from(sample):where(cheap)
      assert.matches("%[in C%]", p:describe())
      assert.equal(135, p:count())
    end)

    it("name the file and line of a syntax error", function()
      local ok, err = pcall(script.filter, DIR .. "filter_syntax.lua")
      assert.is_false(ok)
      assert.matches("^" .. DIR:gsub("%p", "%%%0") .. "filter_syntax%.lua:%d: ", err)
    end)

    it("name the file and line of a runtime error, and the paper", function()
      local flt = script.filter(DIR .. "filter_runtime.lua")
      local ok, err = pcall(function() return ad.from(sample):where(flt):count() end)
      assert.is_false(ok)
      assert.matches("filter_runtime%.lua:3: attempt to index a nil value", err)
      assert.matches("failed on paper 2005%.09623", err)
    end)

    it("reject a wrong return value", function()
      local ok, err = pcall(script.filter, DIR .. "filter_bad_return.lua")
      assert.is_false(ok)
      assert.matches("filter_bad_return%.lua: a filter script must return a filter or a function %(got number%)", err)
    end)

    it("return nil and a message for a missing file", function()
      local flt, err = script.filter(DIR .. "nope.lua")
      assert.is_nil(flt)
      assert.matches("nope%.lua: No such file", err)
    end)
  end)

  describe("report scripts", function()
    -- A report over digest files runs the pipelines that test text on their
    -- index, made once when one first needs it (D24: weekly.lua over a
    -- folder ran every query in Lua over every paper, 53.8 s on the archive
    -- against 0.24 s with -i; sandboxed, that Lua work spent the budget, A1)
    local function indexer()
      local calls = 0
      return function(c)
        calls = calls + 1
        return ad.index(c)
      end, function() return calls end
    end

    for _, sandbox in ipairs{false, true} do
      local how = sandbox and " (sandboxed)" or ""
      it("over digest files run their text queries on the files' index, made once" .. how, function()
        local make, calls = indexer()
        local p = assert(script.report(DIR .. "report_terms.lua",
          {source = sample, sandbox = sandbox, indexer = make}))
        assert.equal(0, calls())                 -- not before it runs
        local out = p:render()
        assert.equal(1, calls())
        -- the answers and the order of a report given the index (-i)
        local on_index = assert(script.report(DIR .. "report_terms.lua",
          {source = ad.index(sample), sandbox = sandbox})):render()
        assert.equal(on_index, out)
        assert.matches("\nstate%-of%-the%-art %d+ %d+\n", "\n" .. out)
        assert.equal(1, calls())
      end)
    end

    it("over digest files leave the pipelines that test no text on the files", function()
      local make, calls = indexer()
      for _, sandbox in ipairs{false, true} do
        local p = assert(script.report(DIR .. "report_dates.lua",
          {source = sample, sandbox = sandbox, indexer = make}))
        local out = p:render()
        assert.equal(ad.from(sample):where(f.date("2020-05-01", "2020-05-31") * f.category("cs.CV"))
          :sort("date", "desc"):format("{id} {date}"):render(), out)
        assert.is_true(#out > 100)
      end
      assert.equal(0, calls())
      -- what a pipeline will do says so before it runs
      local p = assert(script.report(DIR .. "report_terms.lua", {source = sample, indexer = make}))
      assert.matches("^from collection %(its index runs the text", p:describe())
      assert.equal(0, calls())
      -- opts.index = false: every pipeline on the files, as before
      local plain = assert(script.report(DIR .. "report_terms.lua", {source = sample, index = false}))
      assert.matches("^from collection\n", plain:describe())
    end)

    it("build a pipeline from a function(ad, args)", function()
      local p = script.report(DIR .. "report_ok.lua", {source = sample, args = {word = "depth"}})
      local out = p:render()
      local want = ad.from(sample):where(f.keywords{"depth"}):sort("id"):format("{id}"):render()
      assert.equal(want, out)
      assert.is_true(#out > 0)
    end)

    it("accept a script returning a pipeline", function()
      local p = script.report(DIR .. "report_pipeline.lua")
      assert.equal("2\n1\n", p:render())
    end)

    it("reject a script that returns no pipeline", function()
      local ok, err = pcall(script.report, DIR .. "report_bad.lua", {source = sample})
      assert.is_false(ok)
      assert.matches("report_bad%.lua: a report script must return a pipeline", err)
    end)

    it("name the file and line of an error in the report function", function()
      local ok, err = pcall(script.report, DIR .. "report_error.lua", {source = sample})
      assert.is_false(ok)
      assert.matches("report_error%.lua:3: no interests configured", err)
    end)

    it("do not leak globals into the host", function()
      local path = os.tmpname()
      local fh = assert(io.open(path, "w"))
      fh:write("leaked_global = 1\nreturn function() return true end\n")
      fh:close()
      script.filter(path)
      os.remove(path)
      assert.is_nil(rawget(_G, "leaked_global"))
    end)
  end)
end)
