-- Every field of several papers of each seed and of the 2019 catalog fixtures,
-- checked against values written by hand from the raw file text (issue 2,
-- "Tests"; docs/review-core.md F17).
--
-- How the expected values were derived from the files:
--  * listings: the title is the text after "### N." up to "  [ :arrow_down: ](URL)",
--    the id comes from that PDF URL, the abstract is the "> " line; entities are
--    decoded, <a ... href="U">...</a> becomes U, <br> a space, whitespace runs
--    collapse to one space, values are trimmed; LaTeX is kept.
--  * catalogs: continuation lines (indented) join their field with one space,
--    whitespace runs collapse, values are trimmed, "None" is absent (nil),
--    "2019-10-19 00:02:48+00:00" is "2019-10-19T00:02:48Z"; < > & stay as written.
-- Long texts are written as a list of words split at spaces: J{...} joins the
-- pieces with one space.
local ad = require "arxivdigest"

local DATA = "examples/data/"
local CAT = "spec/fixtures/catalog/"

local L000 = DATA .. "000_21fb7b7deb0de965.txt"
local L001 = DATA .. "001_906e1fea553eeaa8.txt"
local L002 = DATA .. "002_3ae2b7cffb64a415.txt"
local C003 = DATA .. "003_ce175d6736be5667.txt"
local L004 = DATA .. "004_6bca22daa1a0db69.txt"

-- Every field but raw; each expectation must name all of them.
local FIELDS = {
  "id", "version", "title", "authors", "abstract", "categories", "primary_category",
  "pdf_url", "abs_url", "doi", "comment", "journal", "published", "updated", "date",
  "source", "line", "format", "position", "crosslist",
}

-- An expected nil (a table cannot hold nil).
local NONE = setmetatable({}, {__tostring = function() return "nil" end})

local function J(pieces) return table.concat(pieces, " ") end

local function check(p, want)
  local where = ("%s:%s"):format(want.source, tostring(want.line))
  assert.is_not_nil(p, where .. ": no such record")
  local known = {}
  for _, k in ipairs(FIELDS) do
    known[k] = true
    local w = want[k]
    assert(w ~= nil, where .. ": the expectation does not name field " .. k)
    if w == NONE then w = nil end
    assert.are.same(w, p[k], ("%s: field %s"):format(where, k))
  end
  for k in pairs(want) do
    assert(known[k], where .. ": unknown field in the expectation: " .. tostring(k))
  end
end

-- Opens each file once.
local cache = {}
local function open(path)
  if not cache[path] then cache[path] = assert(ad.open(path)) end
  return cache[path]
end

-- {file, index of the record in the file, expected fields}
local function run(cases)
  for _, case in ipairs(cases) do
    local path, index, want = case[1], case[2], case[3]
    it(("reads every field of record %d (%s, line %d)"):format(index, want.id, want.line), function()
      local c = open(path)
      check(c[index], want)
    end)
  end
end

describe("the field list", function()
  it("covers every field of ad.fields() but raw", function()
    local want = {table.unpack(FIELDS)}
    want[#want + 1] = "raw"
    assert.are.same(want, ad.fields())
  end)
end)

describe("record counts of the five seeds and the catalog fixtures", function()
  -- {file, records, format, size in bytes, cross-lists, position of the first cross-list}
  local seeds = {
    {L000, 47, "listing", 64241, 17, 31},
    {L001, 46, "listing", 63133, 14, 33},
    {L002, 42, "listing", 57271, 10, 33},
    {C003, 22, "catalog", 34449, 0},
    {L004, 53, "listing", 74807, 14, 40},
    {CAT .. "20190114.md", 20, "catalog", nil, 0},
    {CAT .. "20190223.md", 7, "catalog", nil, 0},
    {CAT .. "20190518.md", 8, "catalog", nil, 0},
    {CAT .. "old-style.md", 2, "catalog", nil, 0},
  }
  for _, s in ipairs(seeds) do
    local path, n, fmt, size, ncross, first = table.unpack(s)
    it(("finds %d records in %s"):format(n, path), function()
      local c = open(path)
      assert.are.equal(n, #c)
      assert.are.same({}, c:warnings())
      local files = c:files()
      assert.are.equal(1, #files)
      assert.are.equal(path, files[1].path)
      assert.are.equal(n, files[1].records)
      assert.are.equal(fmt, files[1].format)
      if size then assert.are.equal(size, files[1].size) end
      local cross = 0
      for i = 1, #c do
        local p = c[i]
        assert.are.equal(fmt, p.format)
        if fmt == "listing" then
          -- records are numbered 1..n in the file, one title line and one abstract line each
          assert.are.equal(i, p.position)
          assert.are.equal(2 * i, p.line)
          -- the cross-list block runs from the first cross-list to the end
          assert.are.equal(i >= first, p.crosslist, ("record %d"):format(i))
        else
          assert.is_nil(p.position)
          assert.is_false(p.crosslist)
        end
        if p.crosslist then cross = cross + 1 end
      end
      assert.are.equal(ncross, cross)
    end)
  end
end)

describe("every field of daily-listing papers", function()
  describe("000 (Wed, 20 May 2020)", function()
    run({
      {L000, 6, {  -- an entity in the title, a link at the end of the abstract
        id = "2005.09496", version = NONE,
        title = "RoadText-1K: Text Detection & Recognition Dataset for Driving Videos",
        authors = {},
        abstract = J{
          "Perceiving text is crucial to understand semantics of outdoor scenes and hence is a critical",
          "requirement to build intelligent systems for driver assistance and self-driving. Most of the",
          "existing datasets for text detection and recognition comprise still images and are mostly",
          "compiled keeping text in mind. This paper introduces a new \"RoadText-1K\" dataset for text in",
          "driving videos. The dataset is 20 times larger than the existing largest dataset for text in",
          "videos. Our dataset comprises 1000 video clips of driving without any bias towards text and with",
          "annotations for text bounding boxes and transcriptions in every frame. State of the art methods",
          "for text detection, recognition and tracking are evaluated on the new dataset and the results",
          "signify the challenges in unconstrained driving videos compared to existing datasets. This",
          "suggests that RoadText-1K is suited for research and development of reading systems, robust",
          "enough to be incorporated into more complex downstream tasks like driver assistance and",
          "self-driving. The dataset can be found at",
          "http://cvit.iiit.ac.in/research/projects/cvit-projects/roadtext-1k",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "https://arxiv.org/pdf/2005.09496.pdf", abs_url = "https://arxiv.org/abs/2005.09496",
        doi = NONE, comment = NONE, journal = NONE, published = NONE, updated = NONE,
        date = "2020-05-20", source = L000, line = 12, format = "listing",
        position = 6, crosslist = false,
      }},
      {L000, 31, {  -- the first cross-list; LaTeX, and a link followed by " ."
        id = "2005.09619", version = NONE,
        title = "Identifying Statistical Bias in Dataset Replication",
        authors = {},
        abstract = J{
          "Dataset replication is a useful tool for assessing whether improvements in test accuracy on a",
          "specific benchmark correspond to improvements in models' ability to generalize reliably. In this",
          "work, we present unintuitive yet significant ways in which standard approaches to dataset",
          "replication introduce statistical bias, skewing the resulting observations. We study",
          "ImageNet-v2, a replication of the ImageNet dataset on which models exhibit a significant",
          "(11-14%) drop in accuracy, even after controlling for a standard human-in-the-loop measure of",
          "data quality. We show that after correcting for the identified statistical bias, only an",
          "estimated $3.6\\% \\pm 1.5\\%$ of the original $11.7\\% \\pm 1.0\\%$ accuracy drop remains",
          "unaccounted for. We conclude with concrete recommendations for recognizing and avoiding bias in",
          "dataset replication. Code for our study is publicly available at",
          "http://github.com/MadryLab/dataset-replication-analysis .",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "https://arxiv.org/pdf/2005.09619.pdf", abs_url = "https://arxiv.org/abs/2005.09619",
        doi = NONE, comment = NONE, journal = NONE, published = NONE, updated = NONE,
        date = "2020-05-20", source = L000, line = 62, format = "listing",
        position = 31, crosslist = true,
      }},
      {L000, 34, {  -- a cross-list inside the block, lower-case title
        id = "2005.09377", version = NONE,
        title = "hidden markov random fields and cuckoo search method for medical image segmentation",
        authors = {},
        abstract = J{
          "Segmentation of medical images is an essential part in the process of diagnostics. Physicians",
          "require an automatic, robust and valid results. Hidden Markov Random Fields (HMRF) provide",
          "powerful model. This latter models the segmentation problem as the minimization of an energy",
          "function. Cuckoo search (CS) algorithm is one of the recent nature-inspired meta-heuristic",
          "algorithms. It has shown its efficiency in many engineering optimization problems. In this",
          "paper, we use three cuckoo search algorithm to achieve medical image segmentation.",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "https://arxiv.org/pdf/2005.09377.pdf", abs_url = "https://arxiv.org/abs/2005.09377",
        doi = NONE, comment = NONE, journal = NONE, published = NONE, updated = NONE,
        date = "2020-05-20", source = L000, line = 68, format = "listing",
        position = 34, crosslist = true,
      }},
    })
  end)

  describe("001 (Wed, 13 May 2020)", function()
    run({
      {L001, 14, {
        id = "2005.05705", version = NONE,
        title = "Automatic clustering of Celtic coins based on 3D point cloud pattern analysis",
        authors = {},
        abstract = J{
          "The recognition and clustering of coins which have been struck by the same die is of interest",
          "for archeological studies. Nowadays, this work can only be performed by experts and is very",
          "tedious. In this paper, we propose a method to automatically cluster dies, based on 3D scans of",
          "coins. It is based on three steps: registration, comparison and graph-based clustering.",
          "Experimental results on 90 coins coming from a Celtic treasury from the II-Ith century BC show a",
          "clustering quality equivalent to expert's work.",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "https://arxiv.org/pdf/2005.05705.pdf", abs_url = "https://arxiv.org/abs/2005.05705",
        doi = NONE, comment = NONE, journal = NONE, published = NONE, updated = NONE,
        date = "2020-05-13", source = L001, line = 28, format = "listing",
        position = 14, crosslist = false,
      }},
      {L001, 24, {  -- quotes in the title, \textbf{} and a literal % in the abstract
        id = "2005.05509", version = NONE,
        title = "Real-time Facial Expression Recognition \"In The Wild'' by Disentangling 3D Expression "
          .. "from Identity",
        authors = {},
        abstract = J{
          "Human emotions analysis has been the focus of many studies, especially in the field of Affective",
          "Computing, and is important for many applications, e.g. human-computer intelligent interaction,",
          "stress analysis, interactive games, animations, etc. Solutions for automatic emotion analysis",
          "have also benefited from the development of deep learning approaches and the availability of",
          "vast amount of visual facial data on the internet. This paper proposes a novel method for human",
          "emotion recognition from a single RGB image. We construct a large-scale dataset of facial videos",
          "(\\textbf{FaceVid}), rich in facial dynamics, identities, expressions, appearance and 3D pose",
          "variations. We use this dataset to train a deep Convolutional Neural Network for estimating",
          "expression parameters of a 3D Morphable Model and combine it with an effective back-end emotion",
          "classifier. Our proposed framework runs at 50 frames per second and is capable of robustly",
          "estimating parameters of 3D expression variation and accurately recognizing facial expressions",
          "from in-the-wild images. We present extensive experimental evaluation that shows that the",
          "proposed method outperforms the compared techniques in estimating the 3D expression parameters",
          "and achieves state-of-the-art performance in recognising the basic emotions from facial images,",
          "as well as recognising stress from facial videos. %compared to the current state of the art in",
          "emotion recognition from facial images.",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "https://arxiv.org/pdf/2005.05509.pdf", abs_url = "https://arxiv.org/abs/2005.05509",
        doi = NONE, comment = NONE, journal = NONE, published = NONE, updated = NONE,
        date = "2020-05-13", source = L001, line = 48, format = "listing",
        position = 24, crosslist = false,
      }},
      {L001, 33, {  -- the first cross-list, ending in a link
        id = "2005.05960", version = NONE,
        title = "Planning to Explore via Self-Supervised World Models",
        authors = {},
        abstract = J{
          "Reinforcement learning allows solving complex tasks, however, the learning tends to be",
          "task-specific and the sample efficiency remains a challenge. We present Plan2Explore, a",
          "self-supervised reinforcement learning agent that tackles both these challenges through a new",
          "approach to self-supervised exploration and fast adaptation to new tasks, which need not be",
          "known during exploration. During exploration, unlike prior methods which retrospectively compute",
          "the novelty of observations after the agent has already reached them, our agent acts efficiently",
          "by leveraging planning to seek out expected future novelty. After exploration, the agent quickly",
          "adapts to multiple downstream tasks in a zero or a few-shot manner. We evaluate on challenging",
          "control tasks from high-dimensional image inputs. Without any training supervision or",
          "task-specific interaction, Plan2Explore outperforms prior self-supervised exploration methods,",
          "and in fact, almost matches the performances oracle which has access to rewards. Videos and code",
          "at https://ramanans1.github.io/plan2explore/",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "https://arxiv.org/pdf/2005.05960.pdf", abs_url = "https://arxiv.org/abs/2005.05960",
        doi = NONE, comment = NONE, journal = NONE, published = NONE, updated = NONE,
        date = "2020-05-13", source = L001, line = 66, format = "listing",
        position = 33, crosslist = true,
      }},
    })
  end)

  describe("002 (Fri, 22 May 2020)", function()
    run({
      {L002, 11, {
        id = "2005.10600", version = NONE,
        title = "A Neural Network Looks at Leonardo's(?) Salvator Mundi",
        authors = {},
        abstract = J{
          "We use convolutional neural networks (CNNs) to analyze authorship questions surrounding the",
          "works of Leonardo da Vinci -- in particular, Salvator Mundi, the world's most expensive painting",
          "and among the most controversial. Trained on the works of an artist under study and visually",
          "comparable works of other artists, our system can identify likely forgeries and shed light on",
          "attribution controversies. Leonardo's few extant paintings test the limits of our system and",
          "require corroborative techniques of testing and analysis.",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "https://arxiv.org/pdf/2005.10600.pdf", abs_url = "https://arxiv.org/abs/2005.10600",
        doi = NONE, comment = NONE, journal = NONE, published = NONE, updated = NONE,
        date = "2020-05-22", source = L002, line = 22, format = "listing",
        position = 11, crosslist = false,
      }},
      {L002, 31, {  -- "shared. <br>The second": <br> is a space, the run collapses
        id = "2005.10310", version = NONE,
        title = "Maplets: An Efficient Approach for Cooperative SLAM Map Building Under Communication and "
          .. "Computation Constraints",
        authors = {},
        abstract = J{
          "This article introduces an approach to facilitate cooperative exploration and mapping of",
          "large-scale, near-ground, underground, or indoor spaces via a novel integration framework for",
          "locally-dense agent map data. The effort targets limited Size, Weight, and Power (SWaP) agents",
          "with an emphasis on limiting required communications and redundant processing. The approach uses",
          "a unique organization of batch optimization engines to enable a highly efficient two-tier",
          "optimization structure. Tier I consist of agents that create and potentially share local maplets",
          "(local maps, limited in size) which are generated using Simultaneous Localization and Mapping",
          "(SLAM) map-building software and then marginalized to a more compact parameterization. Maplets",
          "are generated in an overlapping manner and used to estimate the transform and uncertainty",
          "between those overlapping maplets, providing accurate and compact odometry or delta-pose",
          "representation between maplet's local frames. The delta poses can be shared between agents, and",
          "in cases where maplets have salient features (for loop closures), the compact representation of",
          "the maplet can also be shared. The second optimization tier consists of a global optimizer that",
          "seeks to optimize those maplet-to-maplet transformations, including any loop closures",
          "identified. This can provide an accurate global \"skeleton\"' of the traversed space without",
          "operating on the high-density point cloud. This compact version of the map data allows for",
          "scalable, cooperative exploration with limited communication requirements where most of the",
          "individual maplets, or low fidelity renderings, are only shared if desired.",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "https://arxiv.org/pdf/2005.10310.pdf", abs_url = "https://arxiv.org/abs/2005.10310",
        doi = NONE, comment = NONE, journal = NONE, published = NONE, updated = NONE,
        date = "2020-05-22", source = L002, line = 62, format = "listing",
        position = 31, crosslist = false,
      }},
      {L002, 34, {  -- a cross-list
        id = "2005.10635", version = NONE,
        title = "SymJAX: symbolic CPU/GPU/TPU programming",
        authors = {},
        abstract = J{
          "SymJAX is a symbolic programming version of JAX simplifying graph input/output/updates and",
          "providing additional functionalities for general machine learning and deep learning",
          "applications. From an user perspective SymJAX provides a la Theano experience with fast graph",
          "optimization/compilation and broad hardware support, along with Lasagne-like deep learning",
          "functionalities.",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "https://arxiv.org/pdf/2005.10635.pdf", abs_url = "https://arxiv.org/abs/2005.10635",
        doi = NONE, comment = NONE, journal = NONE, published = NONE, updated = NONE,
        date = "2020-05-22", source = L002, line = 68, format = "listing",
        position = 34, crosslist = true,
      }},
    })
  end)

  describe("004 (Fri, 20 Nov 2020)", function()
    run({
      {L004, 12, {
        id = "2011.09832", version = NONE,
        title = "Differentiable Data Augmentation with Kornia",
        authors = {},
        abstract = J{
          "In this paper we present a review of the Kornia differentiable data augmentation (DDA) module",
          "for both for spatial (2D) and volumetric (3D) tensors. This module leverages differentiable",
          "computer vision solutions from Kornia, with an aim of integrating data augmentation (DA)",
          "pipelines and strategies to existing PyTorch components (e.g. autograd for differentiability,",
          "optim for optimization). In addition, we provide a benchmark comparing different DA frameworks",
          "and a short review for a number of approaches that make use of Kornia DDA.",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "https://arxiv.org/pdf/2011.09832.pdf", abs_url = "https://arxiv.org/abs/2011.09832",
        doi = NONE, comment = NONE, journal = NONE, published = NONE, updated = NONE,
        date = "2020-11-20", source = L004, line = 24, format = "listing",
        position = 12, crosslist = false,
      }},
      {L004, 40, {  -- the first cross-list
        id = "2011.09944", version = NONE,
        title = "A Preliminary Comparison Between Compressive Sampling and Anisotropic Mesh-based Image "
          .. "Representation",
        authors = {},
        abstract = J{
          "Compressed sensing (CS) has become a popular field in the last two decades to represent and",
          "reconstruct a sparse signal with much fewer samples than the signal itself. Although regular",
          "images are not sparse in their own, many can be sparsely represented in wavelet transform",
          "domain. Therefore, CS has also been widely applied to represent digital images. An alternative",
          "approach, adaptive sampling such as mesh-based image representation (MbIR), however, has not",
          "attracted as much attention. MbIR works directly on image pixels and represent the image with",
          "fewer points using a triangular mesh. In this paper, we perform a preliminary comparison between",
          "the CS and a recently developed MbIR method, AMA representation. The results demonstrate that,",
          "at the same sample density, AMA representation can provide better reconstruction quality than CS",
          "based on the tested algorithms. Further investigation with recent algorithms are needed to",
          "perform a thorough comparison.",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "https://arxiv.org/pdf/2011.09944.pdf", abs_url = "https://arxiv.org/abs/2011.09944",
        doi = NONE, comment = NONE, journal = NONE, published = NONE, updated = NONE,
        date = "2020-11-20", source = L004, line = 80, format = "listing",
        position = 40, crosslist = true,
      }},
      {L004, 52, {  -- a cross-list whose link is followed by "." with no space
        id = "2011.09584", version = NONE,
        title = "ACRONYM: A Large-Scale Grasp Dataset Based on Simulation",
        authors = {},
        abstract = J{
          "We introduce ACRONYM, a dataset for robot grasp planning based on physics simulation. The",
          "dataset contains 17.7M parallel-jaw grasps, spanning 8872 objects from 262 different categories,",
          "each labeled with the grasp result obtained from a physics simulator. We show the value of this",
          "large and diverse dataset by using it to train two state-of-the-art learning-based grasp",
          "planning algorithms. Grasp performance improves significantly when compared to the original",
          "smaller dataset. Data and tools can be accessed at",
          "https://sites.google.com/nvidia.com/graspdataset.",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "https://arxiv.org/pdf/2011.09584.pdf", abs_url = "https://arxiv.org/abs/2011.09584",
        doi = NONE, comment = NONE, journal = NONE, published = NONE, updated = NONE,
        date = "2020-11-20", source = L004, line = 104, format = "listing",
        position = 52, crosslist = true,
      }},
    })
  end)
end)

describe("every field of catalog papers", function()
  describe("003 (2019-10-19)", function()
    run({
      {C003, 6, {  -- a journal continued on the next line, a non-CS primary category
        id = "1910.08705", version = 1,
        title = "Attention Guided Metal Artifact Correction in MRI using Deep Neural Networks",
        authors = {"Jee Won Kim", "Kinam Kwon", "Byungjai Kim", "HyunWook Park"},
        abstract = J{
          "An attention guided scheme for metal artifact correction in MRI using deep neural network is",
          "proposed in this paper. The inputs of the networks are two distorted images obtained with",
          "dual-polarity readout gradients. With MR image generation module and the additional data",
          "consistency loss to the previous work [1], the network is trained to estimate the",
          "frequency-shift map, off-resonance map, and attention map. The attention map helps to produce",
          "better distortion-corrected images by weighting on more relevant distortion-corrected images",
          "where two distortion-corrected images are produced with half of the frequency-shift maps. In",
          "this paper, we observed that in a real MRI environment, two distorted images obtained with",
          "opposite polarities of readout gradient showed artifacts in a different region. Therefore, we",
          "proved that using the attention map was important in that it reduced the residual ripple and",
          "pile-up artifacts near metallic implants.",
        },
        categories = {"eess.IV", "cs.CV"}, primary_category = "eess.IV",
        pdf_url = "http://arxiv.org/pdf/1910.08705v1", abs_url = "http://arxiv.org/abs/1910.08705v1",
        doi = NONE,
        comment = "6 pages, 5 figures",
        journal = "ICCV 2019 Workshop on Interpreting and Explaining Visual Artificial Intelligence Models",
        published = "2019-10-19T04:51:35Z", updated = "2019-10-19T04:51:35Z",
        date = "2019-10-19", source = C003, line = 72, format = "catalog",
        position = NONE, crosslist = false,
      }},
      {C003, 13, {  -- a comment over three lines
        id = "1910.08773", version = 1,
        title = "Automated Composition of Picture-Synched Music Soundtracks for Movies",
        authors = {"Vansh Dassani", "Jon Bird", "Dave Cliff"},
        abstract = J{
          "We describe the implementation of and early results from a system that automatically composes",
          "picture-synched musical soundtracks for videos and movies. We use the phrase \"picture-synched\"",
          "to mean that the structure of the automatically composed music is determined by visual events in",
          "the input movie, i.e. the final music is synchronised to visual events and features such as cut",
          "transitions or within-shot key-frame events. Our system combines automated video analysis and",
          "computer-generated music-composition techniques to create unique soundtracks in response to the",
          "video input, and can be thought of as an initial step in creating a computerised replacement for",
          "a human composer writing music to fit the picture-locked edit of a movie. Working only from the",
          "video information in the movie, key features are extracted from the input video, using video",
          "analysis techniques, which are then fed into a machine-learning-based music generation tool, to",
          "compose a piece of music from scratch. The resulting soundtrack is tied to video features, such",
          "as scene transition markers and scene-level energy values, and is unique to the input video.",
          "Although the system we describe here is only a preliminary proof-of-concept, user evaluations of",
          "the output of the system have been positive.",
        },
        categories = {"cs.MM", "cs.CV"}, primary_category = "cs.MM",
        pdf_url = "http://arxiv.org/pdf/1910.08773v1", abs_url = "http://arxiv.org/abs/1910.08773v1",
        doi = NONE,
        comment = J{
          "To be presented at the 16th ACM SIGGRAPH European Conference on Visual Media Production.",
          "London, England: 17th-18th December 2019. 10 pages, 9 figures",
        },
        journal = NONE,
        published = "2019-10-19T13:51:57Z", updated = "2019-10-19T13:51:57Z",
        date = "2019-10-19", source = C003, line = 172, format = "catalog",
        position = NONE, crosslist = false,
      }},
      {C003, 18, {  -- accented author names, DOI, Comment and Journal all None
        id = "1910.08812", version = 1,
        title = "Deep Parametric Indoor Lighting Estimation",
        authors = {"Marc-André Gardner", "Yannick Hold-Geoffroy", "Kalyan Sunkavalli", "Christian Gagné",
          "Jean-François Lalonde"},
        abstract = J{
          "We present a method to estimate lighting from a single image of an indoor scene. Previous work",
          "has used an environment map representation that does not account for the localized nature of",
          "indoor lighting. Instead, we represent lighting as a set of discrete 3D lights with geometric",
          "and photometric parameters. We train a deep neural network to regress these parameters from a",
          "single image, on a dataset of environment maps annotated with depth. We propose a differentiable",
          "layer to convert these parameters to an environment map to compute our loss; this bypasses the",
          "challenge of establishing correspondences between estimated and ground truth lights. We",
          "demonstrate, via quantitative and qualitative evaluations, that our representation and training",
          "scheme lead to more accurate results compared to previous work, while allowing for more",
          "realistic 3D object compositing with spatially-varying lighting.",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "http://arxiv.org/pdf/1910.08812v1", abs_url = "http://arxiv.org/abs/1910.08812v1",
        doi = NONE, comment = NONE, journal = NONE,
        published = "2019-10-19T17:57:01Z", updated = "2019-10-19T17:57:01Z",
        date = "2019-10-19", source = C003, line = 244, format = "catalog",
        position = NONE, crosslist = false,
      }},
      {C003, 20, {  -- a DOI, a later version, LaTeX in the summary
        id = "1910.08845", version = 2,
        title = "ProxIQA: A Proxy Approach to Perceptual Optimization of Learned Image Compression",
        authors = {"Li-Heng Chen", "Christos G. Bampis", "Zhi Li", "Andrey Norkin", "Alan C. Bovik"},
        abstract = J{
          "The use of $\\ell_p$ $(p=1,2)$ norms has largely dominated the measurement of loss in neural",
          "networks due to their simplicity and analytical properties. However, when used to assess the",
          "loss of visual information, these simple norms are not very consistent with human perception.",
          "Here, we describe a different \"proximal\" approach to optimize image analysis networks against",
          "quantitative perceptual models. Specifically, we construct a proxy network, broadly termed",
          "ProxIQA, which mimics the perceptual model while serving as a loss layer of the network. We",
          "experimentally demonstrate how this optimization framework can be applied to train an end-to-end",
          "optimized image compression network. By building on top of an existing deep image compression",
          "model, we are able to demonstrate a bitrate reduction of as much as $31\\%$ over MSE",
          "optimization, given a specified perceptual quality (VMAF) level.",
        },
        categories = {"eess.IV", "cs.CV", "cs.LG"}, primary_category = "eess.IV",
        pdf_url = "http://arxiv.org/pdf/1910.08845v2", abs_url = "http://arxiv.org/abs/1910.08845v2",
        doi = "10.1109/TIP.2020.3036752",
        comment = "12 pages, 12 figures, 5 tables",
        journal = NONE,
        published = "2019-10-19T21:07:33Z", updated = "2020-10-29T15:48:02Z",
        date = "2019-10-19", source = C003, line = 272, format = "catalog",
        position = NONE, crosslist = false,
      }},
    })
  end)

  local F14 = CAT .. "20190114.md"
  describe("20190114.md (2019-01-14)", function()
    run({
      {F14, 3, {  -- a comment over three lines, with "&" kept and a line ending in "("
        id = "1901.04872", version = 1,
        title = "Electrical Impedance Tomography based on Genetic Algorithm",
        authors = {"Mingyong Zhou"},
        abstract = J{
          "In this paper, we applies GA algorithm into Electrical Impedance Tomography (EIT) application.",
          "We first outline the EIT problem as an optimization problem and define a target optimization",
          "function. Then we show how the GA algorithm as an alternative searching algorithm can be used",
          "for solving EIT inverse problem. In this paper, we explore evolutionary methods such as GA",
          "algorithms combined with various regularization operators to solve EIT inverse computing",
          "problem. Key words: Electrical Impedance Tomography (EIT), GA, Tikhonov operator , Mumford-Shah",
          "operator, Particle Swarm Optimization(PSO), Back Propagation(BP).",
        },
        categories = {"eess.IV", "cs.CV"}, primary_category = "eess.IV",
        pdf_url = "http://arxiv.org/pdf/1901.04872v1", abs_url = "http://arxiv.org/abs/1901.04872v1",
        doi = NONE,
        comment = J{
          "Full paper was accepted into proceedings of 4th International Conference on Innovation in",
          "Computing System & Engineering Technology ( ICICSET 2018) in Zurich, Switzerland on August 14-",
          "15, 2018",
        },
        journal = NONE,
        published = "2019-01-14T07:01:36Z", updated = "2019-01-14T07:01:36Z",
        date = "2019-01-14", source = F14, line = 30, format = "catalog",
        position = NONE, crosslist = false,
      }},
      {F14, 5, {  -- DOI, Comment and Journal all set; the journal continues on the next line
        id = "1901.04210", version = 1,
        title = "Edge SLAM: Edge Points Based Monocular Visual SLAM",
        authors = {"Soumyadip Maity", "Arindam Saha", "Brojeshwar Bhowmick"},
        abstract = J{
          "Visual SLAM shows significant progress in recent years due to high attention from vision",
          "community but still, challenges remain for low-textured environments. Feature based visual SLAMs",
          "do not produce reliable camera and structure estimates due to insufficient features in a",
          "low-textured environment. Moreover, existing visual SLAMs produce partial reconstruction when",
          "the number of 3D-2D correspondences is insufficient for incremental camera estimation using",
          "bundle adjustment. This paper presents Edge SLAM, a feature based monocular visual SLAM which",
          "mitigates the above mentioned problems. Our proposed Edge SLAM pipeline detects edge points from",
          "images and tracks those using optical flow for point correspondence. We further refine these",
          "point correspondences using geometrical relationship among three views. Owing to our edge-point",
          "tracking, we use a robust method for two-view initialization for bundle adjustment. Our proposed",
          "SLAM also identifies the potential situations where estimating a new camera into the existing",
          "reconstruction is becoming unreliable and we adopt a novel method to estimate the new camera",
          "reliably using a local optimization technique. We present an extensive evaluation of our",
          "proposed SLAM pipeline with most popular open datasets and compare with the state-of-the art.",
          "Experimental result indicates that our Edge SLAM is robust and works reliably well for both",
          "textured and less-textured environment in comparison to existing state-of-the-art SLAMs.",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "http://arxiv.org/pdf/1901.04210v1", abs_url = "http://arxiv.org/abs/1901.04210v1",
        doi = "10.1109/ICCVW.2017.284",
        comment = "ICCV Workshops 2017, Venice, Italy, October 22-29, 2017",
        journal = "International Conference on Computer Vision Workshops, 2017, 2408--2417",
        published = "2019-01-14T09:40:45Z", updated = "2019-01-14T09:40:45Z",
        date = "2019-01-14", source = F14, line = 60, format = "catalog",
        position = NONE, crosslist = false,
      }},
      {F14, 7, {  -- DOI, Comment (continued) and Journal set; an astro-ph primary category
        id = "1901.04248", version = 1,
        title = "NEARBY Platform for Detecting Asteroids in Astronomical Images Using Cloud-based "
          .. "Containerized Applications",
        authors = {"V. Bacu", "A. Sabou", "T. Stefanut", "D. Gorgan", "O. Vaduvescu"},
        abstract = J{
          "The continuing monitoring and surveying of the nearby space to detect Near Earth Objects (NEOs)",
          "and Near Earth Asteroids (NEAs) are essential because of the threats that this kind of objects",
          "impose on the future of our planet. We need more computational resources and advanced algorithms",
          "to deal with the exponential growth of the digital cameras' performances and to be able to",
          "process (in near real-time) data coming from large surveys. This paper presents a software",
          "platform called NEARBY that supports automated detection of moving sources (asteroids) among",
          "stars from astronomical images. The detection procedure is based on the classic \"blink\"",
          "detection and, after that, the system supports visual analysis techniques to validate the moving",
          "sources, assisted by static and dynamical presentations.",
        },
        categories = {"astro-ph.IM", "cs.CV", "cs.DC"}, primary_category = "astro-ph.IM",
        pdf_url = "http://arxiv.org/pdf/1901.04248v1", abs_url = "http://arxiv.org/abs/1901.04248v1",
        doi = "10.1109/ICCP.2018.8516578",
        comment = "IEEE 14th International Conference on Intelligent Computer Communication and Processing "
          .. "(ICCP), Cluj-Napoca, Romania",
        journal = "IEEE, 2018",
        published = "2019-01-14T11:49:06Z", updated = "2019-01-14T11:49:06Z",
        date = "2019-01-14", source = F14, line = 89, format = "catalog",
        position = NONE, crosslist = false,
      }},
      {F14, 8, {  -- DOI and a continued Journal, Comment None
        id = "1901.04252", version = 2,
        title = "DeepFlash: Turning a Flash Selfie into a Studio Portrait",
        authors = {"Nicola Capece", "Francesco Banterle", "Paolo Cignoni", "Fabio Ganovelli",
          "Roberto Scopigno", "Ugo Erra"},
        abstract = J{
          "We present a method for turning a flash selfie taken with a smartphone into a photograph as if",
          "it was taken in a studio setting with uniform lighting. Our method uses a convolutional neural",
          "network trained on a set of pairs of photographs acquired in an ad-hoc acquisition campaign.",
          "Each pair consists of one photograph of a subject's face taken with the camera flash enabled and",
          "another one of the same subject in the same pose illuminated using a photographic",
          "studio-lighting setup. We show how our method can amend defects introduced by a close-up camera",
          "flash, such as specular highlights, shadows, skin shine, and flattened images.",
        },
        categories = {"cs.CV", "cs.LG"}, primary_category = "cs.CV",
        pdf_url = "http://arxiv.org/pdf/1901.04252v2", abs_url = "http://arxiv.org/abs/1901.04252v2",
        doi = "10.1016/j.image.2019.05.013",
        comment = NONE,
        journal = "Elsevier Image Communication, Volume 77, September 2019, Pages 28-39",
        published = "2019-01-14T11:57:05Z", updated = "2019-06-05T16:04:51Z",
        date = "2019-01-14", source = F14, line = 104, format = "catalog",
        position = NONE, crosslist = false,
      }},
      {F14, 14, {  -- categories over three lines, a quant-ph primary, a comment over three lines
        id = "1901.04405", version = 2,
        title = "Quadratization in discrete optimization and quantum mechanics",
        authors = {"Nike Dattani"},
        abstract = J{
          "A book about turning high-degree optimization problems into quadratic optimization problems that",
          "maintain the same global minimum (ground state). This book explores quadratizations for",
          "pseudo-Boolean optimization, perturbative gadgets used in QMA completeness theorems, and also",
          "non-perturbative k-local to 2-local transformations used for quantum mechanics, quantum",
          "annealing and universal adiabatic quantum computing. The book contains ~70 different Hamiltonian",
          "transformations, each of them on a separate page, where the cost (in number of auxiliary binary",
          "variables or auxiliary qubits, or number of sub-modular terms, or in graph connectivity, etc.),",
          "pros, cons, examples, and references are given. One can therefore look up a quadratization",
          "appropriate for the specific term(s) that need to be quadratized, much like using an integral",
          "table to look up the integral that needs to be done. This book is therefore useful for writing",
          "compilers to transform general optimization problems, into a form that quantum annealing or",
          "universal adiabatic quantum computing hardware requires; or for transforming quantum chemistry",
          "problems written in the Jordan-Wigner or Bravyi-Kitaev form, into a form where all multi-qubit",
          "interactions become 2-qubit pairwise interactions, without changing the desired ground state.",
          "Applications cited include computer vision problems (e.g. image de-noising, un-blurring, etc.),",
          "number theory (e.g. integer factoring), graph theory (e.g. Ramsey number determination), and",
          "quantum chemistry. The book is open source, and anyone can make modifications here:",
          "https://github.com/HPQC-LABS/Book_About_Quadratization.",
        },
        categories = {
          "quant-ph", "cs.CV", "cs.DM", "math.OC", "physics.chem-ph", "05C50", "11A41", "11A51",
          "11N35", "11N36", "11N80", "11Y05", "65K10", "65P10", "65Y20", "68Q12", "81P68", "81P94",
          "94A60", "81-08",
          -- (the ACM classes, written "B.2.4; B.8.2; ...": each its own, as
          -- for cat: queries)
          "B.2.4", "B.8.2", "C.1.3", "C.1.m", "F.2.1", "F.2.3", "F.4.1", "G.1.0", "G.1.3", "G.1.5",
          "G.1.6", "G.2.0", "G.2.1", "I.1.2", "I.6.4", "C.4", "E.3", "G.0", "J.2", "K.2",
        },
        primary_category = "quant-ph",
        pdf_url = "http://arxiv.org/pdf/1901.04405v2", abs_url = "http://arxiv.org/abs/1901.04405v2",
        doi = NONE,
        comment = J{
          "Contributors (in order of lines contributed on GitHub): Nike Dattani, Richard Tanburn, Andreas",
          "Soteriou, Nicholas Chancellor, Szilard Szalay, Elisabeth Rodriguez-Heck, Hou Tin Chau, Ka Wa Yip,",
          "Yudong Cao",
        },
        journal = NONE,
        published = "2019-01-14T17:06:40Z", updated = "2019-09-23T04:47:42Z",
        date = "2019-01-14", source = F14, line = 190, format = "catalog",
        position = NONE, crosslist = false,
      }},
    })
  end)

  local F23 = CAT .. "20190223.md"
  describe("20190223.md (2019-02-23)", function()
    run({
      {F23, 1, {  -- a 1911 id in a 2019-02-23 digest; a continued comment; cs.LG primary
        id = "1911.05588", version = 1,
        title = "An Effective Hit-or-Miss Layer Favoring Feature Interpretation as Learned Prototypes "
          .. "Deformations",
        authors = {"A. Deliege", "A. Cioppa", "M. Van Droogenbroeck"},
        abstract = J{
          "Neural networks designed for the task of classification have become a commodity in recent years.",
          "Many works target the development of more effective networks, which results in a",
          "complexification of their architectures with more layers, multiple sub-networks, or even the",
          "combination of multiple classifiers, but this often comes at the expense of producing",
          "uninterpretable black boxes. In this paper, we redesign a simple capsule network to enable it to",
          "synthesize class-representative samples, called prototypes, by replacing the last layer with a",
          "novel Hit-or-Miss layer. This layer contains activated vectors, called capsules, that we train",
          "to hit or miss a fixed target capsule by tailoring a specific centripetal loss function. This",
          "possibility allows to develop a data augmentation step combining information from the data space",
          "and the feature space, resulting in a hybrid data augmentation process. We show that our",
          "network, named HitNet, is able to reach better performances than those reproduced with the",
          "initial CapsNet on several datasets, while allowing to visualize the nature of the features",
          "extracted as deformations of the prototypes, which provides a direct insight into the feature",
          "representation learned by the network .",
        },
        categories = {"cs.LG", "cs.AI", "cs.CV", "stat.ML"}, primary_category = "cs.LG",
        pdf_url = "http://arxiv.org/pdf/1911.05588v1", abs_url = "http://arxiv.org/abs/1911.05588v1",
        doi = NONE,
        comment = "In AAAI-19 Workshop on Network Interpretability for Deep Learning. "
          .. "Published version of arXiv:1806.06519",
        journal = NONE,
        published = "2019-02-23T01:28:27Z", updated = "2019-02-23T01:28:27Z",
        date = "2019-02-23", source = F23, line = 2, format = "catalog",
        position = NONE, crosslist = false,
      }},
      {F23, 3, {  -- five categories, version 5, a continued comment
        id = "1902.08722", version = 5,
        title = "A Convex Relaxation Barrier to Tight Robustness Verification of Neural Networks",
        authors = {"Hadi Salman", "Greg Yang", "Huan Zhang", "Cho-Jui Hsieh", "Pengchuan Zhang"},
        abstract = J{
          "Verification of neural networks enables us to gauge their robustness against adversarial",
          "attacks. Verification algorithms fall into two categories: exact verifiers that run in",
          "exponential time and relaxed verifiers that are efficient but incomplete. In this paper, we",
          "unify all existing LP-relaxed verifiers, to the best of our knowledge, under a general convex",
          "relaxation framework. This framework works for neural networks with diverse architectures and",
          "nonlinearities and covers both primal and dual views of robustness verification. We further",
          "prove strong duality between the primal and dual problems under very mild conditions. Next, we",
          "perform large-scale experiments, amounting to more than 22 CPU-years, to obtain exact solution",
          "to the convex-relaxed problem that is optimal within our framework for ReLU networks. We find",
          "the exact solution does not significantly improve upon the gap between PGD and existing relaxed",
          "verifiers for various networks trained normally or robustly on MNIST and CIFAR datasets. Our",
          "results suggest there is an inherent barrier to tight verification for the large class of",
          "methods captured by our framework. We discuss possible causes of this barrier and potential",
          "future directions for bypassing it. Our code and trained models are available at",
          "http://github.com/Hadisalman/robust-verify-benchmark .",
        },
        categories = {"cs.LG", "cs.AI", "cs.CR", "cs.CV", "stat.ML"}, primary_category = "cs.LG",
        pdf_url = "http://arxiv.org/pdf/1902.08722v5", abs_url = "http://arxiv.org/abs/1902.08722v5",
        doi = NONE,
        comment = "Poster at the 33rd Conference on Neural Information Processing Systems (NeurIPS 2019), "
          .. "Vancouver, Canada",
        journal = NONE,
        published = "2019-02-23T03:01:51Z", updated = "2020-01-10T00:20:07Z",
        date = "2019-02-23", source = F23, line = 31, format = "catalog",
        position = NONE, crosslist = false,
      }},
      {F23, 6, {  -- a q-bio secondary category; DOI, Comment and Journal all None
        id = "1902.08793", version = 1,
        title = "A visual encoding model based on deep neural networks and transfer learning",
        authors = {"Chi Zhang", "Kai Qiao", "Linyuan Wang", "Li Tong", "Guoen Hu", "Ruyuan Zhang", "Bin Yan"},
        abstract = J{
          "Background: Building visual encoding models to accurately predict visual responses is a central",
          "challenge for current vision-based brain-machine interface techniques. To achieve high",
          "prediction accuracy on neural signals, visual encoding models should include precise visual",
          "features and appropriate prediction algorithms. Most existing visual encoding models employ",
          "hand-craft visual features (e.g., Gabor wavelets or semantic labels) or data-driven features",
          "(e.g., features extracted from deep neural networks (DNN)). They also assume a linear mapping",
          "between feature representation to brain activity. However, it remains unknown whether such",
          "linear mapping is sufficient for maximizing prediction accuracy. New Method: We construct a new",
          "visual encoding framework to predict cortical responses in a benchmark functional magnetic",
          "resonance imaging (fMRI) dataset. In this framework, we employ the transfer learning technique",
          "to incorporate a pre-trained DNN (i.e., AlexNet) and train a nonlinear mapping from visual",
          "features to brain activity. This nonlinear mapping replaces the conventional linear mapping and",
          "is supposed to improve prediction accuracy on brain activity. Results: The proposed framework",
          "can significantly predict responses of over 20% voxels in early visual areas (i.e., V1-lateral",
          "occipital region, LO) and achieve unprecedented prediction accuracy. Comparison with Existing",
          "Methods: Comparing to two conventional visual encoding models, we find that the proposed",
          "encoding model shows consistent higher prediction accuracy in all early visual areas, especially",
          "in relatively anterior visual areas (i.e., V4 and LO). Conclusions: Our work proposes a new",
          "framework to utilize pre-trained visual features and train non-linear mappings from visual",
          "features to brain activity.",
        },
        categories = {"cs.CV", "q-bio.NC"}, primary_category = "cs.CV",
        pdf_url = "http://arxiv.org/pdf/1902.08793v1", abs_url = "http://arxiv.org/abs/1902.08793v1",
        doi = NONE, comment = NONE, journal = NONE,
        published = "2019-02-23T14:13:39Z", updated = "2019-02-23T14:13:39Z",
        date = "2019-02-23", source = F23, line = 75, format = "catalog",
        position = NONE, crosslist = false,
      }},
    })
  end)

  local F18 = CAT .. "20190518.md"
  describe("20190518.md (2019-05-18)", function()
    run({
      {F18, 3, {  -- nine authors, three categories
        id = "1905.07515", version = 1,
        title = "Learning Perspective Undistortion of Portraits",
        authors = {"Yajie Zhao", "Zeng Huang", "Tianye Li", "Weikai Chen", "Chloe LeGendre", "Xinglei Ren",
          "Jun Xing", "Ari Shapiro", "Hao Li"},
        abstract = J{
          "Near-range portrait photographs often contain perspective distortion artifacts that bias human",
          "perception and challenge both facial recognition and reconstruction techniques. We present the",
          "first deep learning based approach to remove such artifacts from unconstrained portraits. In",
          "contrast to the previous state-of-the-art approach, our method handles even portraits with",
          "extreme perspective distortion, as we avoid the inaccurate and error-prone step of first fitting",
          "a 3D face model. Instead, we predict a distortion correction flow map that encodes a per-pixel",
          "displacement that removes distortion artifacts when applied to the input image. Our method also",
          "automatically infers missing facial features, i.e. occluded ears caused by strong perspective",
          "distortion, with coherent details. We demonstrate that our approach significantly outperforms",
          "the previous state-of-the-art both qualitatively and quantitatively, particularly for portraits",
          "with extreme perspective distortion or facial expressions. We further show that our technique",
          "benefits a number of fundamental tasks, significantly improving the accuracy of both face",
          "recognition and 3D reconstruction and enables a novel camera calibration technique from a single",
          "portrait. Moreover, we also build the first perspective portrait database with a large diversity",
          "in identities, expression and poses, which will benefit the related research in this area.",
        },
        categories = {"cs.CV", "cs.GR", "cs.LG"}, primary_category = "cs.CV",
        pdf_url = "http://arxiv.org/pdf/1905.07515v1", abs_url = "http://arxiv.org/abs/1905.07515v1",
        doi = NONE,
        comment = "13 pages, 15 figures",
        journal = NONE,
        published = "2019-05-18T01:08:47Z", updated = "2019-05-18T01:08:47Z",
        date = "2019-05-18", source = F18, line = 30, format = "catalog",
        position = NONE, crosslist = false,
      }},
      {F18, 6, {  -- a comment continued with a URL, version 4
        id = "1905.07553", version = 4,
        title = "Which Tasks Should Be Learned Together in Multi-task Learning?",
        authors = {"Trevor Standley", "Amir R. Zamir", "Dawn Chen", "Leonidas Guibas", "Jitendra Malik",
          "Silvio Savarese"},
        abstract = J{
          "Many computer vision applications require solving multiple tasks in real-time. A neural network",
          "can be trained to solve multiple tasks simultaneously using multi-task learning. This can save",
          "computation at inference time as only a single network needs to be evaluated. Unfortunately,",
          "this often leads to inferior overall performance as task objectives can compete, which",
          "consequently poses the question: which tasks should and should not be learned together in one",
          "network when employing multi-task learning? We study task cooperation and competition in several",
          "different learning settings and propose a framework for assigning tasks to a few neural networks",
          "such that cooperating tasks are computed by the same neural network, while competing tasks are",
          "computed by different networks. Our framework offers a time-accuracy trade-off and can produce",
          "better accuracy using less inference time than not only a single large multi-task neural network",
          "but also many single-task networks.",
        },
        categories = {"cs.CV"}, primary_category = "cs.CV",
        pdf_url = "http://arxiv.org/pdf/1905.07553v4", abs_url = "http://arxiv.org/abs/1905.07553v4",
        doi = NONE,
        comment = "Presented to ICML 2020 See project website at http://taskgrouping.stanford.edu/",
        journal = NONE,
        published = "2019-05-18T08:20:14Z", updated = "2020-09-03T00:03:26Z",
        date = "2019-05-18", source = F18, line = 72, format = "catalog",
        position = NONE, crosslist = false,
      }},
      {F18, 7, {  -- four categories with a stat.ML one
        id = "1905.08622", version = 3,
        title = "Variational Hetero-Encoder Randomized GANs for Joint Image-Text Modeling",
        authors = {"Hao Zhang", "Bo Chen", "Long Tian", "Zhengjue Wang", "Mingyuan Zhou"},
        abstract = J{
          "For bidirectional joint image-text modeling, we develop variational hetero-encoder (VHE)",
          "randomized generative adversarial network (GAN), a versatile deep generative model that",
          "integrates a probabilistic text decoder, probabilistic image encoder, and GAN into a coherent",
          "end-to-end multi-modality learning framework. VHE randomized GAN (VHE-GAN) encodes an image to",
          "decode its associated text, and feeds the variational posterior as the source of randomness into",
          "the GAN image generator. We plug three off-the-shelf modules, including a deep topic model, a",
          "ladder-structured image encoder, and StackGAN++, into VHE-GAN, which already achieves",
          "competitive performance. This further motivates the development of VHE-raster-scan-GAN that",
          "generates photo-realistic images in not only a multi-scale low-to-high-resolution manner, but",
          "also a hierarchical-semantic coarse-to-fine fashion. By capturing and relating hierarchical",
          "semantic and visual concepts with end-to-end training, VHE-raster-scan-GAN achieves",
          "state-of-the-art performance in a wide variety of image-text multi-modality learning and",
          "generation tasks.",
        },
        categories = {"cs.CV", "cs.CL", "cs.LG", "stat.ML"}, primary_category = "cs.CV",
        pdf_url = "http://arxiv.org/pdf/1905.08622v3", abs_url = "http://arxiv.org/abs/1905.08622v3",
        doi = NONE,
        comment = "ICLR 2020",
        journal = NONE,
        published = "2019-05-18T13:58:12Z", updated = "2020-01-07T20:51:34Z",
        date = "2019-05-18", source = F18, line = 87, format = "catalog",
        position = NONE, crosslist = false,
      }},
    })
  end)

  local OLD = CAT .. "old-style.md"
  describe("old-style.md (1997-11-27): old-style ids and summaries over several lines", function()
    run({
      {OLD, 1, {  -- DOI, Comment and Journal set; comment over two lines, summary over four
        id = "hep-th/9711200", version = 3,
        title = "The Large N Limit of Superconformal Field Theories and Supergravity",
        authors = {"Juan M. Maldacena"},
        abstract = J{
          "We show that the large $N$ limit of certain conformal field theories in various dimensions",
          "include in their Hilbert space a sector describing supergravity on the product of Anti-deSitter",
          "spacetimes, spheres and other compact manifolds.",
        },
        categories = {"hep-th"}, primary_category = "hep-th",
        pdf_url = "http://arxiv.org/pdf/hep-th/9711200v3", abs_url = "http://arxiv.org/abs/hep-th/9711200v3",
        doi = "10.1023/A:1026654312961",
        comment = "20 pages, harvmac, v2: section on AdS_2 corrected, references added, v3: more references "
          .. "and a sign in eqn. 2.8 corrected",
        journal = "Adv.Theor.Math.Phys.2:231-252,1998",
        published = "1997-11-27T22:24:24Z", updated = "1998-01-22T18:45:32Z",
        date = "1997-11-27", source = OLD, line = 2, format = "catalog",
        position = NONE, crosslist = false,
      }},
      {OLD, 2, {  -- the digest's day comes from the header, not from Published
        id = "math/0211159", version = 1,
        title = "The entropy formula for the Ricci flow and its geometric applications",
        authors = {"Grisha Perelman"},
        abstract = J{
          "We present a monotonic expression for the Ricci flow, valid in all dimensions and without",
          "curvature assumptions. It is interpreted as an entropy for a certain canonical ensemble. Several",
          "geometric applications are given.",
        },
        categories = {"math.DG", "math.MG"}, primary_category = "math.DG",
        pdf_url = "http://arxiv.org/pdf/math/0211159v1", abs_url = "http://arxiv.org/abs/math/0211159v1",
        doi = NONE,
        comment = "39 pages",
        journal = NONE,
        published = "2002-11-11T16:11:49Z", updated = "2002-11-11T16:11:49Z",
        date = "1997-11-27", source = OLD, line = 20, format = "catalog",
        position = NONE, crosslist = false,
      }},
    })
  end)
end)
