std = "lua54"
max_line_length = 120
-- specs hold hand-written expected values: long strings are kept whole
files["spec/"] = { std = "+busted", max_line_length = false }
-- spec/fixtures/ holds deliberately broken or hostile scripts
exclude_files = { "build/", "build-*/", "bench/out/", "spec/fixtures/", "examples/watch/out/" }
