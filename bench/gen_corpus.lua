-- bench/gen_corpus.lua: build the benchmark corpus from the 2019 cs.CV catalog files.
--
--   lua5.4 bench/gen_corpus.lua [--src DIR] [--out DIR] [--copies N]
--
-- Writes N copies (default 16, about 313 MB) of the source tree as
-- OUT/copyK/MM/YYYYMMDD.md, rewriting the arXiv IDs on the "Arxiv ID" and
-- "Links" lines so that every paper of every copy has a distinct, valid
-- new-style id (YYMM.NNNNN).  Copy k (0-based) maps YYMM.NNNNN to
--   (YY - 2*(k // 6))MM . (NNNNN + 15000*(k % 6))
-- The source numbers are below 15000 and its years are 19 and 20, so the
-- copies use the years 2015..2020 and numbers below 90000: all distinct.
-- Idempotent: a stamp file records what was generated; when it matches the
-- request and the files on disk add up to the recorded size, nothing is done.
-- Prints the output directory and its size in bytes on the last line.

local io, os, string, table = io, os, string, table
local tonumber, tostring, ipairs, print, assert, error = tonumber, tostring, ipairs, print, assert, error

local M = {}

local STEP, SLOTS, MAX_N = 15000, 6, 14999

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- Sorted list of "*.md" files under dir, as paths relative to dir.
local function list_md(dir)
  local f = assert(io.popen("cd " .. shell_quote(dir) .. " && find . -type f -name '*.md' | LC_ALL=C sort"))
  local files = {}
  for line in f:lines() do files[#files + 1] = line:gsub("^%./", "") end
  f:close()
  return files
end

-- Sum of the sizes of the "*.md" files under dir (0 when dir is missing).
local function tree_size(dir)
  local f = io.popen("find " .. shell_quote(dir) .. " -type f -name '*.md' -printf '%s\\n' 2>/dev/null")
  local total, n = 0, 0
  for line in f:lines() do total = total + tonumber(line); n = n + 1 end
  f:close()
  return total, n
end
M.tree_size = tree_size

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then error(err, 0) end
  local s = f:read("a")
  f:close()
  return s
end

-- Rewrite the ids of one catalog file's text for copy k; returns text, count.
local function rewrite(text, k)
  local dy, dn = 2 * (k // SLOTS), STEP * (k % SLOTS)
  local function new_id(prefix, yy, mm, n)
    local num = tonumber(n)
    if num > MAX_N then error("arXiv number " .. n .. " too large to rewrite", 0) end
    return string.format("%s%02d%s.%05d", prefix, tonumber(yy) - dy, mm, num + dn)
  end
  local ids, links
  text, ids = text:gsub("(\n%- %*%*Arxiv ID%*%*: https?://arxiv%.org/abs/)(%d%d)(%d%d)%.(%d%d%d%d%d)", new_id)
  text, links = text:gsub("(\n%- %*%*Links%*%*: %[PDF%]%(https?://arxiv%.org/pdf/)(%d%d)(%d%d)%.(%d%d%d%d%d)", new_id)
  return text, ids, links
end
M.rewrite = rewrite

local function default_src()
  for _, d in ipairs { os.getenv("ARXIVDIGEST_CORPUS") or "", "../shared/corpus/cs.CV-2019",
                       "/work/shared/corpus/cs.CV-2019" } do
    if d ~= "" and tree_size(d) > 0 then return d end
  end
  return nil
end
M.default_src = default_src

-- Generate (or reuse) the corpus; returns out_dir, total_bytes, n_files.
function M.generate(src, out, copies, log)
  log = log or function(...) io.stderr:write(..., "\n") end
  src = src or default_src()
  if not src then error("no source corpus: set ARXIVDIGEST_CORPUS or pass --src", 0) end
  copies = copies or 16
  local src_bytes, src_files = tree_size(src)
  if src_files == 0 then error(src .. ": no *.md files", 0) end
  local want = src_bytes * copies
  local stamp_path = out .. "/.stamp"
  local stamp = string.format("src=%s copies=%d bytes=%d files=%d\n", src, copies, want, src_files * copies)
  local ok, old = pcall(read_file, stamp_path)
  if ok and old == stamp then
    local have, nfiles = tree_size(out)
    if have == want and nfiles == src_files * copies then
      log(string.format("corpus: %s up to date (%d files, %d bytes)", out, nfiles, have))
      return out, have, nfiles
    end
  end
  log(string.format("corpus: generating %d copies of %s (%d bytes) into %s", copies, src, src_bytes, out))
  assert(os.execute("rm -rf " .. shell_quote(out) .. " && mkdir -p " .. shell_quote(out)))
  local files = list_md(src)
  local dirs = {}
  for _, rel in ipairs(files) do dirs[rel:match("^(.*)/") or "."] = true end
  local total, nids = 0, 0
  for k = 0, copies - 1 do
    local cdir = out .. "/copy" .. k
    local mk = {}
    for d in pairs(dirs) do mk[#mk + 1] = shell_quote(cdir .. "/" .. d) end
    table.sort(mk)
    assert(os.execute("mkdir -p " .. table.concat(mk, " ")))
    for _, rel in ipairs(files) do
      local text, ids, links = rewrite(read_file(src .. "/" .. rel), k)
      if ids ~= links then
        error(string.format("%s: %d Arxiv ID lines but %d Links lines rewritten", rel, ids, links), 0)
      end
      nids = nids + ids
      local f = assert(io.open(cdir .. "/" .. rel, "wb"))
      assert(f:write(text))
      assert(f:close())
      total = total + #text
    end
  end
  if total ~= want then error(string.format("wrote %d bytes, expected %d", total, want), 0) end
  local f = assert(io.open(stamp_path, "wb"))
  f:write(stamp)
  f:close()
  log(string.format("corpus: wrote %d files, %d bytes, %d papers", src_files * copies, total, nids))
  return out, total, src_files * copies
end

local function main(argv)
  local src, out, copies = nil, "bench/out/corpus", 16
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--src" then src = argv[i + 1]; i = i + 2
    elseif a == "--out" then out = argv[i + 1]; i = i + 2
    elseif a == "--copies" then copies = tonumber(argv[i + 1]); i = i + 2
    else io.stderr:write("usage: lua5.4 bench/gen_corpus.lua [--src DIR] [--out DIR] [--copies N]\n"); os.exit(2) end
  end
  if not copies or copies < 1 or copies > 18 then
    io.stderr:write("gen_corpus: --copies must be 1..18\n"); os.exit(2)
  end
  local ok, dir, bytes = pcall(M.generate, src, out, copies)
  if not ok then io.stderr:write("gen_corpus: ", tostring(dir), "\n"); os.exit(1) end
  print(dir .. " " .. bytes)
end

-- Run as a script, or require()d by bench/run.lua.
if arg and arg[0] and arg[0]:match("gen_corpus%.lua$") then
  main(arg)
end

return M
