-- Small file helpers shared by the specs: local H = dofile("spec/helper.lua")
local H = {}

--- The vocabulary of the generated corpora of the query specs (topk,
-- query_fold_review): words common in cs.CV abstracts, most frequent first.
H.VOCAB = {}
for w in ([[image segmentation network neural convolutional attention detection
  learning deep model medical mri video graph transformer depth pose object
  tracking diffusion generative adversarial domain adaptation feature point
  cloud scene semantic instance dataset training loss supervised robust fast
  efficient sparse dense large small novel method results benchmark]]):gmatch("%a+") do
  H.VOCAB[#H.VOCAB + 1] = w
end

--- A deterministic generator, independent of math.random: rnd(n) in 1..n,
-- from a linear congruential sequence started at seed (the state's bits
-- from `shift` up).
function H.lcg(seed, shift)
  shift = shift or 0
  return function(n)
    seed = (seed * 1103515245 + 12345) % 2147483648
    return (seed >> shift) % n + 1
  end
end

--- A word of list, Zipf-like (low indices far more often), drawn with rnd.
function H.zipf(rnd, list)
  local i = rnd(#list)
  return list[rnd(i)]
end

--- n words of word(), separated by spaces.
function H.words(word, n)
  local t = {}
  for i = 1, n do t[i] = word() end
  return table.concat(t, " ")
end

--- One catalog day of n generated papers (ids 1903.00001 on), titles and
-- abstracts of Zipf-drawn H.VOCAB words from H.lcg(seed): lists of many
-- blocks for the search specs, no ../shared needed.
function H.gen_catalog(seed, n)
  local rnd = H.lcg(seed)
  local function word() return H.zipf(rnd, H.VOCAB) end
  local out = { "# Arxiv Papers in cs.CV on 2019-03-01\n" }
  for i = 1, n do
    out[#out + 1] = ("### %s\n- **Arxiv ID**: http://arxiv.org/abs/1903.%05dv1\n"
      .. "- **Categories**: **cs.CV**\n- **Published**: 2019-03-01 01:00:00+00:00\n"
      .. "- **Authors**: A B\n- **Comment**: None\n- **Summary**: %s\n\n"):format(
      H.words(word, rnd(6) + 2), i, H.words(word, rnd(40) + 10))
  end
  return table.concat(out)
end

--- A fresh temporary file name (nothing there yet).
function H.tmpname()
  local p = os.tmpname()
  os.remove(p)
  return p
end

--- A fresh temporary directory holding the files {name = text, ...}:
--- its path (the caller removes it: os.execute("rm -rf " .. dir)).
function H.tmpdir(files)
  local dir = H.tmpname()
  assert(os.execute("mkdir -p " .. H.shell_quote(dir)))
  for name, text in pairs(files or {}) do H.write(dir .. "/" .. name, text) end
  return dir
end

--- Whether the file at path (of ../shared, say) can be read:
--- `if not H.have(p) then return pending("no " .. p) end`.
function H.have(path)
  local f = io.open(path, "rb")
  if not f then return false end
  f:close()
  return true
end

--- n random strings made of the given pieces (0 to 12 of them each), from
--- a fixed seed: `for s in H.random_strings(pieces, 7, 20000) do ... end`.
function H.random_strings(pieces, seed, n)
  math.randomseed(seed)
  local i = 0
  return function()
    i = i + 1
    if i > n then return nil end
    local t = {}
    for k = 1, math.random(0, 12) do t[k] = pieces[math.random(#pieces)] end
    return table.concat(t)
  end
end

--- The papers of a collection (or an array) by id: {[id] = paper}.
function H.by_id(c)
  local t = {}
  for i = 1, #c do t[c[i].id] = c[i] end
  return t
end

--- Ranked hits as plain data: {{id, score}, ...}.
function H.ranked(hits)
  local out = {}
  for i, h in ipairs(hits) do out[i] = { h.paper.id, h.score } end
  return out
end

--- idx:search(q) with limit k on one thread, asserted to be the first k of
-- the exhaustive ranking `all` (ids and scores, in order); returns it.
function H.top_of(idx, q, all, k, label)
  local top = idx:search(q, { limit = k, threads = 1 })
  local want = {}
  for i = 1, math.min(k, #all) do want[i] = { all[i].paper.id, all[i].score } end
  require("luassert").are.same(want, H.ranked(top), label .. " (k = " .. k .. ")")
  return top
end

--- The whole file at path (raises when it cannot be read).
function H.read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

--- Write s to path, replacing it (raises on failure).
function H.write(path, s)
  local f = assert(io.open(path, "wb"))
  assert(f:write(s))
  assert(f:close())
end

--- An output stream that keeps what is written: sink.text() gives it.
function H.sink()
  local buf = {}
  return {write = function(self, ...)
    for i = 1, select("#", ...) do buf[#buf + 1] = tostring((select(i, ...))) end
    return self
  end, text = function() return table.concat(buf) end}
end

--- Runs the command in-process: returns exit status, stdout, stderr.
function H.run_cli(argv)
  local out, err = H.sink(), H.sink()
  local status = require("arxivdigest.cli").main(argv, {stdout = out, stderr = err})
  return status, out.text(), err.text()
end

--- s quoted for sh.
function H.shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

--- Runs a shell command: its exit status and its output (stdout and stderr).
function H.sh(cmd)
  local f = assert(io.popen(cmd .. " 2>&1; echo \"::rc=$?\""))
  local out = f:read("a")
  f:close()
  local rc = tonumber(out:match("::rc=(%d+)%s*$"))
  return rc, (out:gsub("::rc=%d+%s*$", ""))
end

--- Runs Lua source in a child lua5.4 with this process's module paths (and
--- the ASan runtime under `make test-asan`), so that a crash fails one test,
--- not the suite: exit status and output. opts.timeout (seconds) cuts a
--- hang; opts.input is a file for its stdin.
function H.run_lua(src, opts)
  opts = opts or {}
  local path = os.tmpname()
  H.write(path, src)
  local env = ""
  local rt = os.getenv("AD_ASAN_RT")
  if rt then env = "LD_PRELOAD=" .. H.shell_quote(rt) .. " ASAN_OPTIONS=detect_leaks=0 " end
  local pre = ("package.path=%q package.cpath=%q"):format(package.path, package.cpath)
  local cmd = env .. (opts.timeout and ("timeout " .. opts.timeout .. " ") or "") .. "lua5.4 -e " ..
    H.shell_quote(pre) .. " " .. H.shell_quote(path)
  if opts.input then cmd = cmd .. " < " .. opts.input end
  local rc, out = H.sh(cmd)
  os.remove(path)
  return rc, out
end

return H
