-- My interests: a settings file for the shipped reports. It returns a table
-- of plain values (strings, numbers, lists of them) that `report --settings`
-- merges into args; --arg KEY=VALUE given as well wins over it.
--
--   arxivdigest report examples/reports/daily.lua -i archive.adx --settings examples/reports/interests.lua
--
-- It is read in a sandbox (no files, no io), whatever --sandbox says: data
-- only. Copy it, put your own interests in, and pass your copy.
return {
  -- daily.lua: the day's papers in these categories (cross-lists included)...
  categories = {"cs.CV", "eess.IV"},
  -- ... that use one of these words or phrases (whole words; case and
  -- diacritics do not matter; a title match ranks higher) ...
  keywords = {"segmentation", "depth", "diffusion", "nerf", "neural radiance fields", "3d", "video"},
  -- ... or are by one of these people (daily.lua, authors.lua). Initials,
  -- "Surname, Given" and missing diacritics are fine; a hyphenated given
  -- name is one name ("Li-Heng Chen" is not "Li Chen").
  authors = {"Kaiming He", "A. Vedaldi", "Gagne, Christian", "Li-Heng Chen", "Xiaofei Xie"},
  -- revised.lua: the papers I follow, for their new versions (any id form:
  -- 1512.03385, 1512.03385v2, arXiv:..., an abs or pdf URL).
  ids = {"1512.03385", "1703.06870", "1506.02640", "2201.03545", "2208.12242", "2211.09800",
         "1910.08681", "1910.08695", "1910.08728", "1910.08787", "1910.11126"},
  -- weekly.lua: how many weeks before the week to compare it with.
  weeks = 8,
}
