"""Every question of the exam notes, in our own words, with where the course answers it.

The notes (``shared/seeds/*.txt``: a student's exam notes and flashcards) are cited by file
prefix and line, e.g. ``"000:169"`` is line 169 of ``000_*.txt``.  Links point to notebook
sections as JupyterLab anchors (the heading with spaces replaced by ``-``).  Questions the
course does not answer yet are listed in :data:`NOT_COVERED`, never silently dropped.
Topics the notes never ask about but every anchor course teaches are in :data:`TOPICS`.
The notes' own errors are listed in :data:`TRAPS`, each with the graded exercise that refutes
it (``exercises/12_review.ipynb``), its practice kind and the lecture section that teaches
the correct version.

>>> from dlcourse.chapters.review import exam_map
>>> len(exam_map.by_chapter()[5]) > 10
True
>>> exam_map.anchor("## 7 · Counting parameters")
'7-·-Counting-parameters'
>>> exam_map.TRAPS[1].exercise, exam_map.TRAPS[1].practice
('ch12.yolo_counts', 'trap_yolo')
"""

from __future__ import annotations

from typing import NamedTuple

NOTEBOOKS = {0: "00_welcome", 1: "01_learning_from_data", 2: "02_perceptron_mlp",
             3: "03_backprop", 4: "04_optimisation", 5: "05_convolutions",
             6: "06_architectures", 7: "07_training_deep_nets", 8: "08_resnets_transfer",
             9: "09_segmentation", 10: "10_detection", 11: "11_gans", 12: "12_review"}


class Question(NamedTuple):
    """One question of the notes (several near-identical ones share an entry)."""

    chapter: int
    text: str                  # our paraphrase, never the notes' wording
    link: str                  # notebooks/NN_name.ipynb#Anchor ('' if not covered)
    sources: tuple[str, ...]   # "file-prefix:line" in shared/seeds
    code: str = ""             # a dlcourse expression that computes the asked number
    section: str = ""          # the heading the link points to


def anchor(heading: str) -> str:
    """JupyterLab's anchor of a markdown heading: the text with spaces replaced by ``-``."""
    return heading.lstrip("#").strip().replace(" ", "-")


def _at(chapter: int, heading: str) -> str:
    return f"notebooks/{NOTEBOOKS[chapter]}.ipynb#{anchor(heading)}"


def _q(chapter, heading, text, *sources, code=""):
    return Question(chapter, text, _at(chapter, heading), sources, code, heading)


# Section headings (checked against the notebooks by tests/chapters/review/test_exam_map.py).
S1 = {
    "tasks": "1 Three tasks, three kinds of target",
    "kinds": "2 Kinds of learning and kinds of problems",
    "hard": "3 Why image classification is hard",
    "split": "4 Training, validation and test sets",
    "knn": "5 k-nearest neighbours",
    "search": "6 Hyperparameters: grid search vs random search",
    "features": "7 Features: pixels, Sobel, Gabor, HoG, PCA",
    "pipeline": "8 The traditional pipeline vs the deep pipeline",
    "linear": "9 Parametric models: the linear classifier",
    "softmax": "10 From scores to probabilities: softmax",
    "entropy": "11 Entropy and cross-entropy",
    "sigmoid": "12 Sigmoid and logistic regression",
    "multilabel": "12.1 One label or several: softmax or sigmoid outputs",
}
S2 = {
    "neuron": "1 · From a biological to an artificial neuron",
    "act": "2 · Activation functions and their derivatives",
    "sat": "3 · Saturation",
    "zc": "4 · The zero-centering problem",
    "dying": "5 · Dying ReLUs",
    "bias": "6 · Why a bias?",
    "rosenblatt": "7 · Rosenblatt's perceptron",
    "vs": "8 · Perceptron vs neuron",
    "xor": "9 · Linear separability and XOR",
    "mlp": "10 · An MLP solves XOR",
    "multi": "11 · A multiclass output layer",
    "zero": "12 · Zero initialisation and the symmetry problem",
    "structures": "13 · Feedforward, residual and recurrent networks",
    "capacity": "14 · Capacity: width and depth",
}
S3 = {
    "two": "1 · Two ways to get a gradient",
    "chain": "2 · The chain rule: upstream gradient × local gradient",
    "cache": "4 · The forward pass caches, the backward pass reuses",
    "paths": "5 · Naive: sum over all paths. Smart: reverse mode",
    "matrix": "9 · Backprop in matrix form: linear, ReLU, softmax + cross-entropy",
    "conv": "11 · Backprop through a convolution is a convolution with the flipped kernel",
}
S4 = {
    "losses": "1 · Losses",
    "nll": "2 · What the losses mean: negative log-likelihoods",
    "lr": "3 · Gradient, learning rate and step size",
    "quad": "4 · Gradient descent on a poorly conditioned quadratic",
    "batch": "5 · Batch, minibatch and stochastic gradient descent",
    "loop": "6 · The training/validation loop",
    "momentum": "7 · Momentum and Nesterov",
    "adaptive": "8 · Adaptive learning rates: AdaGrad, RMSProp, Adam, AdaMax, NAdam",
    "minima": "10 · Local minima, saddle points and plateaus",
    "decay": "12 · Learning-rate decay schedules",
    "trap": "13 · The trap: vanishing and exploding gradients are not caused by the "
            "learning rate",
}
S5 = {
    "fc": "1 · Why not a fully connected layer?",
    "local": "2 · Locality, weight sharing, translation equivariance",
    "xcorr": "3 · Convolution or cross-correlation?",
    "formulas": "3.1 · The continuous, 1-D and 2-D formulas side by side",
    "similarity": "3.2 · Convolution as a similarity measure: template matching",
    "maps": "4 · Activation maps and activation volumes",
    "size": "5 · Output size, and when it does not fit",
    "modes": "6 · Valid, same, full, strided and dilated convolutions",
    "full": "6.1 · Full convolution is zero padding",
    "params": "7 · Counting parameters",
    "one": "8 · 1×1 convolutions: channel mixing and bottlenecks",
    "mobile": "8.1 · 1×1 convolutions in MobileNet: depthwise-separable blocks",
    "pool": "9 · Pooling",
    "strided": "9.1 · Strided convolution instead of pooling",
    "rf": "10 · Receptive fields",
}
S6 = {
    "layout": "1 · The typical layout, seen in LeNet-5",
    "gap": "2 · Flattening vs global average pooling",
    "subset": "3.1 · Full ImageNet vs the ILSVRC-2012 subset",
    "alexnet": "4 · AlexNet (2012) and ZFNet (2013)",
    "alexnet2012": "4.1 · The original AlexNet: two GPUs, 96 filters, LRN",
    "vgg": "5 · VGG-16/19: only 3×3 convolutions",
    "inception": "6 · GoogLeNet and the Inception module",
    "resnet": "7 · ResNet",
    "compare": "8 · All architectures side by side, against the published counts",
    "cost": "8.1 · Four architectures compared: cost, memory, published error",
    "design": "9 · Design a CNN for 64×64 RGB images and 10 classes",
    "filters": "11 · Learned filters and feature maps",
}
S7 = {
    "init": "1 · Weight initialisation: zero, small random, Xavier, He",
    "xavier": "1.1 · Xavier uniform or Xavier normal: the same variance",
    "convex": "1.2 · Does the starting point matter? Convex vs non-convex",
    "vanish": "4 · Vanishing and exploding gradients are products of local gradients",
    "bias": "5 · Bias initialisation",
    "selu": "6 · SELU: self-normalising networks",
    "alpha": "6.1 · SELU needs alpha-dropout",
    "norm": "7 · Data normalisation: training statistics only",
    "bn": "8 · Batch normalisation",
    "ics": "9 · Internal covariate shift",
    "shift": "9.1 · Covariate shift between training and test data",
    "dropout": "10 · Dropout: inverted scaling, train vs test",
    "dropconnect": "10.1 · DropConnect: drop weights, not units",
    "l1l2": "11 · L2 weight decay vs L1: weight histograms",
    "early": "12 · Overfitting and early stopping",
    "aug": "13 · Data augmentation for digits",
    "bv": "14 · Bias, variance, capacity and training-set size",
    "imb": "15 · Imbalanced data",
    "mtl": "16 · Multi-task learning: hard vs soft parameter sharing",
    "overfit": "17.1 · Overfit one batch first",
    "lrtest": "17.2 · The learning-rate range test",
    "warmup": "17.3 · Warm-up",
    "adamw": "17.4 · AdamW: weight decay, decoupled",
    "smoothing": "17.5 · Label smoothing",
}
S8 = {
    "degradation": "1 · The degradation problem",
    "block": "2 · The residual block and why its gradient flows",
    "bottleneck": "4 · Basic vs bottleneck block",
    "sum": "6 · Merging by sum (ResNet) or by concatenation (DenseNet)",
    "transfer": "7 · Transfer learning",
}
S9 = {
    "dense": "1 · Dense prediction: a class for every pixel",
    "unet": "2 · Encoder–decoder and U-Net",
    "interp": "3 · Upsampling by interpolation: nearest neighbour and bilinear",
    "tconv": "4 · Transposed convolution: the notes' example, both ways",
    "shuffle": "5 · Sub-pixel convolution (pixel shuffle), and four upsamplings side by side",
}
S10 = {
    "sliding": "2 · The sliding-window detector and its cost",
    "layouts": "6 · How many numbers does YOLO predict? Two layouts",
    "twostage": "11 · Two stages: R-CNN, Fast R-CNN, Faster R-CNN",
    "anchors": "11.1 · Anchors: k boxes at every cell of the feature map",
    "deltas": "11.2 · Box deltas: what the RPN predicts for an anchor",
    "roi": "11.3 · RoI pooling: a box of any size becomes a fixed grid",
    "family": "11.4 · The family side by side",
}
S11 = {
    "players": "1 · Two players: a generator and a discriminator",
    "anomaly": "7 · Anomaly detection: what the generator *cannot* draw",
}
S12 = {
    "dims": "3 · 2-D, 2.5-D and 3-D CNNs",
    "labels": "4 · Labelling medical data",
    "cam": "5 · Explaining a CNN with class activation maps",
    "cammask": "5.1 · From image labels to masks: CAMs as weak segmentation",
    "xai": "5.2 · XAI: transparency, explainability, bias",
    "fair": "6 · Fairness: accuracy per subgroup",
    "little": "8 · Little data: mixing, synthetic data, adaptation, fusion, refinement",
    "uses": "9 · Without labels, or by reward: three medical uses",
    "oneil": "10 · O'Neil's four levels of unfair algorithms",
    "fields": "11.1 · Application fields: the notes' remote-sensing examples",
    "humans": "11.2 · How do people recognise objects?",
}


def _chapter(chapter: int, headings: dict):
    def make(key, text, *sources, code=""):
        return _q(chapter, headings[key], text, *sources, code=code)
    return make


c1, c2, c3, c4 = _chapter(1, S1), _chapter(2, S2), _chapter(3, S3), _chapter(4, S4)
c5, c6, c7, c8 = _chapter(5, S5), _chapter(6, S6), _chapter(7, S7), _chapter(8, S8)
c9, c10, c11, c12 = _chapter(9, S9), _chapter(10, S10), _chapter(11, S11), _chapter(12, S12)

QUESTIONS: tuple[Question, ...] = (
    # 01 Learning from data
    c1("tasks", "What does image classification ask for, and how is object detection "
       "different from it?", "001:3", "001:8"),
    c1("hard", "Name five or more reasons why classifying images is hard, each with an "
       "example.", "001:3"),
    c1("split", "Why split labelled data into training, validation and test sets, and what is "
       "each one for?", "001:27"),
    c1("kinds", "Supervised, unsupervised and reinforcement learning: what distinguishes "
       "them?", "000:9"),
    c1("kinds", "Regression, classification, clustering: which problem is which, and is "
       "segmentation really clustering? (it is supervised per-pixel classification)",
       "000:13"),
    c1("pipeline", "How does deep learning relate to machine learning, and what does it do "
       "differently?", "000:1"),
    c1("pipeline", "Why learn vision tasks from data at all, and what is a learning "
       "algorithm in image classification?", "001:65"),
    c1("pipeline", "Walk through the classical image-classification pipeline and contrast "
       "it with the deep one.", "001:203"),
    c1("pipeline", "What is representation learning, why do we want it, and how is deep "
       "learning defined through it?", "001:794"),
    c1("search", "What are hyperparameters (name three for CNNs), why tune them, and how do "
       "grid and random search work?", "001:86", "001:101"),
    c1("knn", "Explain k-nearest neighbours with a 2-D two-class sketch of its decision "
       "boundary, and its limitations.", "001:123"),
    c1("features", "Why do vector-input learners struggle with raw images; what are "
       "features, and what separates low-level from high-level ones?", "001:165"),
    c1("linear", "What makes a model parametric, what do its parameters do and how are they "
       "fitted?", "001:218"),
    c1("linear", "Describe a linear classifier's weights and biases, and sketch its decision "
       "lines for three separable classes in 2-D.", "001:253"),
    c1("softmax", "What are class scores, and why turn them into probabilities with "
       "softmax?", "001:135", code="F.softmax(np.array([1.0, 0.0, 4.0])).round(4)"),
    c1("softmax", "What does a softmax output layer guarantee about its outputs?", "002:19"),
    c1("entropy", "What is a loss for; what does cross-entropy measure; what must labels "
       "and scores satisfy for it?", "001:302"),
    c1("entropy", "Write the softmax (cross-entropy) loss and explain how it punishes a low "
       "probability for the true class.", "000:73"),
    c1("entropy", "Why is a cross-entropy block attached to the network during training?",
       "004:2"),
    c1("sigmoid", "State the logistic sigmoid and what it is used for.", "000:17"),
    c1("multilabel", "What decides a classifier's output function: softmax for exactly one "
       "label, a sigmoid per class for several — and which loss goes with each?", "002:84"),
    # 02 Neurons, perceptron, XOR, MLP
    c2("neuron", "What is an artificial neuron and what are its parts?", "000:21"),
    c2("act", "What is an activation function for, and which ones are common?", "000:24",
       "000:25", "002:97"),
    c2("act", "Which function mimics the all-or-nothing firing of a biological neuron?",
       "002:2"),
    c2("act", "Why is the signum function useless for gradient-based learning?", "002:4"),
    c2("act", "Define ReLU by its formula.", "000:183"),
    c2("sat", "Which gradient problems does ReLU avoid that sigmoid suffers from?", "004:9"),
    c2("zc", "What is the zero-centering problem and how is it fixed?", "002:65", "002:68"),
    c2("dying", "What is a dying ReLU?", "002:70"),
    c2("bias", "Why learn a bias term?", "002:14"),
    c2("rosenblatt", "What does Rosenblatt's perceptron minimise?", "002:11"),
    c2("vs", "How does a perceptron differ from a neuron?", "000:34"),
    c2("xor", "What is XOR and why can a single-layer model not solve it?", "000:48"),
    c2("mlp", "Describe the layers of a neural network: input, hidden, output.", "000:38"),
    c2("mlp", "What is a multilayer perceptron and why do we need one?", "000:43"),
    c2("mlp", "Define an MLP, what its units compute, and why plain MLPs do not scale to "
       "images.", "001:755", "001:785"),
    c2("multi", "How does a layer of neurons classify into many classes?", "000:46"),
    c2("zero", "Should all weights start at zero? Why not?", "000:61"),
    c2("structures", "Name three ways to wire a network (feedforward, residual, "
       "recurrent).", "000:51"),
    c2("structures", "Define a feedforward network and its unit types; how is a linear "
       "model a network?", "001:706"),
    c2("capacity", "What do we gain by making a network deeper, and why?", "002:25", "002:28"),
    # 03 Backpropagation
    c3("two", "Numerical vs analytic gradients: how does each work and what does each "
       "cost?", "001:984"),
    c3("chain", "How does backpropagation work, in equations (upstream × local "
       "gradient)?", "000:87"),
    c3("chain", "What is the upstream gradient at the loss itself? (1)", "000:98"),
    c3("chain", "What does backpropagation compute?", "002:31"),
    c3("paths", "Why is backpropagation better than summing over all paths, and what "
       "happens at one node?", "001:1069"),
    c3("conv", "How do gradients flow back through a convolutional layer?", "002:106"),
    # 04 Losses and optimisation
    c4("losses", "Which losses did we meet (MSE, RMSE, cross-entropy)?", "000:66"),
    c4("losses", "Standard losses for classification and for regression?", "002:39",
       "002:42"),
    c4("lr", "What does gradient descent do, and how?", "000:82", "000:84"),
    c4("lr", "What is the learning rate's effect (too small, too large)?", "000:100"),
    c4("lr", "Why optimise; how does gradient descent work; what is a gradient; learning "
       "rate vs step size?", "001:423", "001:472"),
    c4("lr", "What does the gradient tell us during the backward pass?", "004:4"),
    c4("quad", "Trace gradient descent on a given contour plot from a starting point.",
       "001:508"),
    c4("batch", "Batch vs minibatch vs stochastic gradient descent, effect of the batch "
       "size, and pseudo-code of a training/validation loop.", "001:658", "001:684",
       "002:44", "002:48", "002:51"),
    c4("loop", "List the steps of one training iteration.", "000:55", "002:54"),
    c4("momentum", "Why add momentum, and what is Nesterov momentum?", "000:103", "000:111",
       "002:60", "002:63"),
    c4("adaptive", "Which optimisers did we learn; what do AdaGrad, RMSProp and Adam do?",
       "000:125", "000:130", "000:136", "000:140"),
    c4("adaptive", "How does Adam differ from momentum SGD and why is it better?", "001:696"),
    c4("minima", "Local vs global minimum: are local minima a real problem in deep nets?",
       "001:593"),
    c4("decay", "What is learning-rate decay and why use it?", "001:1371"),
    c4("trap", "What are exploding and vanishing gradients? (not a learning-rate effect)",
       "002:33", "002:36"),
    # 05 Convolutions and sizing
    c5("fc", "Why are fully connected layers a poor fit for images?", "000:154", "000:158",
       "002:73", "003:1", "003:5", "004:16", code="sizing.linear_params(256 * 256 * 3, 1000)"),
    c5("local", "What properties of images do convolutions exploit (locality, weight "
       "sharing, translation)?", "003:7", "003:11", "003:19", "004:12", "002:79"),
    c5("similarity", "What does a convolution provide? (a similarity between the kernel and "
       "each window: template matching)", "003:29"),
    c5("local", "Locally connected vs convolutional layers: what differs?", "004:19"),
    c5("local", "What do conv layers compute, how do they differ from linear layers, and "
       "which activation do they use?", "001:821"),
    c5("formulas", "What is a convolution, as a formula: continuous, 1-D and 2-D?", "003:23",
       "003:27", "003:28"),
    c5("maps", "What is a convolutional layer and what does it do?", "000:163", "002:92"),
    c5("maps", "What is an activation (feature, response) map and how large is it?",
       "000:178", "003:31", "004:27"),
    c5("maps", "How many activation maps does a layer produce, and what does '10 kernels' "
       "mean?", "003:34", "003:69", "004:32"),
    c5("maps", "What is an image to a CNN (an H×W×C volume)?", "003:9"),
    c5("size", "Output size of a 32×32×3 input for kernels F = 1, 3, 7, 11?", "000:169",
       code="[sizing.conv_output_size(32, f) for f in (1, 3, 7, 11)]"),
    c5("size", "And for a 32×32 kernel?", "000:170", code="sizing.conv_output_size(32, 32)"),
    c5("size", "Which settings decide the output size, and what is the formula?", "003:51",
       "003:60", "000:186"),
    c5("modes", "What is padding, why use it, and how do we keep the size unchanged?",
       "000:192", "000:232", "003:56", "003:65",
       code="sizing.same_padding(3), sizing.conv_output_size(32, 3, padding=1)"),
    c5("full", "What is the catch with full convolution? (none: it is zero padding of F − 1)",
       "004:46"),
    c5("modes", "Valid, same, full convolution: output sizes.",
       "004:34", "004:40", "004:43", "004:50",
       code="[sizing.conv_output_size(32, 3, padding=p) for p in (0, 1, 2)]"),
    c5("params", "How many parameters do 10 filters of 5×5×3 have?", "000:196",
       code="sizing.conv_params(3, 10, 5)"),
    c5("params", "Weights and biases of a 3×3 conv layer with f maps on a W×H×D input; what "
       "are feature maps for?", "001:885",
       code="sizing.conv_params(32, 64, 3, bias=False), sizing.conv_params(32, 64, 3)"),
    c5("one", "What is a 1×1 convolution and what is it good for?", "000:199", "002:108",
       "002:112"),
    c5("one", "Point-wise convolutions: what are they?", "001:1339"),
    c5("mobile", "Two uses of point-wise convolutions: bottlenecks, and MobileNet's "
       "depthwise-separable blocks (parameters and multiply-adds counted).", "001:1359"),
    c5("pool", "What does a pooling layer do and why; max vs average pooling.", "000:203",
       "000:211", "002:99", "003:76", "003:81", "003:85", "003:87"),
    c5("pool", "Compute a 2×2, stride-2 max pooling; what is global average pooling; what "
       "can replace pooling (a strided convolution, §9.1)?", "001:897",
       code="F.max_pool2d(np.array([[[[1.0, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], "
            "[1, 2, 3, 4]]]]), 2)[0, 0]"),
    c5("pool", "Output size after pooling?", "003:92", code="sizing.pool_output_size(32, 2)"),
    c5("pool", "What does max unpooling do and how?", "003:99"),
    c5("rf", "What is a receptive field, and what does a second 3×3 layer see?", "000:214",
       "000:217", "004:30", code="sizing.receptive_field([(3, 1), (3, 1)])"),
    c5("rf", "Receptive field after conv-conv-pool-conv-conv (3×3, 2×2 s2)?", "001:804",
       code="sizing.receptive_field([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1)])"),
    c5("rf", "Why does stacking layers help to extract larger features?", "000:299",
       code="sizing.receptive_field([(3, 1)] * 3)"),
    # 06 Architectures
    c6("layout", "What is a CNN and what are its parts?", "000:145", "000:148", "003:13",
       "003:49"),
    c6("layout", "Typical CNN layout, its two stages and how they are joined.", "000:227",
       "001:926", "002:87"),
    c6("layout", "LeNet-5: what and how is it built?", "000:237"),
    c6("gap", "What is global average pooling?", "000:274"),
    c6("gap", "What does the fully connected part of a CNN do?", "002:103"),
    c6("subset", "What is the ImageNet challenge, and how does full ImageNet (~14 M images, "
       "~22 k classes) differ from its ILSVRC subset (1.28 M training images, 1000 classes)?",
       "003:103"),
    c6("alexnet", "AlexNet: why was it a breakthrough?", "000:241"),
    c6("alexnet2012", "How was the original AlexNet built (96 first-layer filters split over "
       "two GPUs, LRN, overlapping pooling, 60 M parameters), and how does the course's "
       "variant differ?", "000:245"),
    c6("vgg", "VGG: what is special about it?", "000:252"),
    c6("vgg", "How can a CNN be made better; why stack small filters instead of large "
       "ones?", "002:116", "003:93"),
    c6("inception", "GoogLeNet and the Inception module: what and why?", "000:259",
       "000:269", "003:74"),
    c6("resnet", "ResNet: what is special and how is it built?", "000:277"),
    c6("compare", "Name common CNN architectures and what each is known for.", "000:221",
       "003:106"),
    c6("cost", "Compare AlexNet, VGG, GoogLeNet and ResNet: parameters, multiply-adds, "
       "activation memory and published top-5 error.", "000:286"),
    c6("design", "How is CNN depth defined; design a CNN for 64×64 images and 10 classes "
       "in C/L/R/P notation.", "001:943", "001:953"),
    c6("filters", "What do conv layers learn, and how do features get more complex with "
       "depth?", "003:37", "003:42", "003:46", "003:66"),
    # 07 Training deep networks
    c7("init", "Xavier and He initialisation: ideas and formulas; how to set weights.",
       "002:211", "002:216", "002:219"),
    c7("xavier", "The two initialisations we learned: Xavier's uniform ±√(6/(n_in + n_out)) "
       "and its normal form have the same variance; He's normal N(0, 2/n_in).", "000:303"),
    c7("convex", "How does the initialisation matter for convex and for non-convex "
       "problems?", "002:202", "002:205"),
    c7("vanish", "What is the vanishing-gradient problem and what helps against it?",
       "000:114", "000:118"),
    c7("vanish", "What causes exploding and vanishing gradients, and how are they avoided?",
       "001:1257"),
    c7("bias", "How should biases be initialised?", "002:208"),
    c7("selu", "What is a self-normalising network (SELU, LeCun init, alpha-dropout in "
       "§6.1)?", "002:190"),
    c7("norm", "Why and how normalise data (train statistics only); which methods?",
       "001:1211", "002:169", "002:172", "002:176"),
    c7("bn", "What is batch normalisation, what does it bring, and where does it go?",
       "000:291", "001:1231", "002:181"),
    c7("shift", "What is covariate shift (between training and test data)?", "000:123"),
    c7("ics", "Internal covariate shift: what and why?", "002:184", "002:186"),
    c7("dropout", "What is dropout, why does it work and where is it used; how does weight "
       "decay differ? (and DropConnect, §10.1)", "001:1163", "002:7", "002:195", "002:197"),
    c7("l1l2", "Regularisation in the loss: L1 vs L2 and their effect on weights.",
       "002:158", "002:160", "002:163"),
    c7("early", "What is overfitting, how to fight it, and when should training stop "
       "(validation loss, not training loss)?", "001:1123", "001:1134", "004:6"),
    c7("early", "Optimisation goal vs learning goal: sketch training/test error for each.",
       "001:1103"),
    c7("aug", "Which augmentations suit a digit classifier, and which do not?", "001:1134",
       "002:154"),
    c7("bv", "Bias–variance trade-off, capacity, and the effect of more data.", "002:119",
       "002:124", "002:134", "002:137", "002:142"),
    c7("imb", "What is class imbalance, what harm does it do and how is it handled?",
       "001:1383"),
    c7("mtl", "Multi-task learning: hard vs soft sharing and auxiliary tasks.", "002:236",
       "002:238", "002:241", "002:245"),
    # 08 ResNets and transfer learning
    c8("degradation", "Is a deeper network always better?", "000:282"),
    c8("block", "How do residual connections make deep networks trainable?", "000:294"),
    c8("bottleneck", "What is inside a residual block?", "000:301"),
    c8("sum", "Skip connections: what problem do they solve, how are signals merged, what "
       "is a residual network?", "001:1282"),
    c8("transfer", "What is transfer learning, how does it work, and why is it useful?",
       "000:265", "001:1657", "002:222", "002:227", "002:230", "003:120"),
    c8("transfer", "Plan a bird-species classifier with deep learning step by step.",
       "001:40"),
    c12("little", "With little medical training data, which approaches are key (transfer "
        "learning, augmentation incl. mixup, synthetic data, domain adaptation, fusion, "
        "refinement)?", "001:1717"),
    # 09 Segmentation
    c9("dense", "What is semantic segmentation, how are such CNNs built, which special "
       "layers do they need?", "001:1490"),
    c9("tconv", "Transposed convolution of the given I and K with stride 2, padding 1.",
       "001:1502",
       code="F.conv_transpose2d(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), "
            "np.array([[[[0.0, 1.0, 0.0], [1.0, 2.0, 1.0], [1.0, 1.0, 1.0]]]]), "
            "stride=2, padding=1)[0, 0]"),
    c9("shuffle", "Which upsampling methods exist; how does sub-pixel convolution work?",
       "001:1570"),
    c9("unet", "What is a U-Net, where are its skip connections and why?", "001:1631"),
    # 10 Detection
    c10("sliding", "Define object detection; how can a classifier detect, and at what cost?",
        "001:1416"),
    c10("layouts", "How does YOLO work; what does it output for 2 boxes and 5 classes; which "
        "post-processing follows?", "001:1444", "001:1456", "001:1470",
        code="detection.yolo_output_size(1, 2, 5), "
             "detection.yolo_output_size(1, 2, 5, layout='anchors')"),
    # 11 GANs
    c11("players", "What is a GAN, what are its parts, and how is it trained?", "001:1649"),
    c11("anomaly", "Which architecture finds anomalies in medical images, and how?",
        "001:1687"),
    # 12 Review: medical imaging, XAI, fairness
    c12("dims", "2-D vs 2.5-D vs 3-D CNNs: inputs and parameter counts.", "001:1711",
        code="review.cnn_dimensionality_table()"),
    c12("cammask", "How can deep learning help to obtain labels (CAM masks from image-level "
        "labels); how to ease medical annotation?", "001:1665"),
    c12("uses", "Challenges of medical image data, three medical uses (one an autoencoder), "
        "and using little data well.", "001:1697"),
    c12("uses", "Unsupervised vs supervised learning for medical data, and where "
        "reinforcement learning is used in medicine.", "001:1679"),
    c12("oneil", "Cathy O'Neil's four levels of unfair algorithms.", "001:1739"),
    c12("labels", "Expert vs non-expert labellers: pros and cons, and an alternative to "
        "manual expert labels.", "001:1727"),
    c12("fields", "Name application fields of deep learning (e.g. remote sensing), each "
        "with its task.", "000:3"),
    c12("humans", "How do people recognise and classify objects?", "003:10"),
    c12("xai", "What does XAI mean (transparency, explainability, bias)?", "001:1752"),
)

NOT_COVERED: tuple[Question, ...] = ()


class Topic(NamedTuple):
    """A canonical topic the notes never ask about, and the section that computes it.

    Issue 16 lists what the anchor courses (cs231n, d2l, udlbook) all teach and the notes
    lack; each such topic is answered here as if it were a question.
    """

    chapter: int
    text: str       # what the section answers, in our words
    link: str       # notebooks/NN_name.ipynb#Anchor
    section: str    # the heading the link points to
    code: str = ""  # a dlcourse expression that computes a number the section derives


def _topic(chapter: int, headings: dict, key: str, text: str, code: str = "") -> Topic:
    return Topic(chapter, text, _at(chapter, headings[key]), headings[key], code)


TOPICS: tuple[Topic, ...] = (
    _topic(7, S7, "overfit", "Why overfit one small batch before a long run, and which bugs "
           "does that catch (inputs and labels that no longer pair up) or miss (a consistent "
           "wrong labelling)?"),
    _topic(7, S7, "lrtest", "How does a learning-rate range test find the scale of the "
           "learning rate?"),
    _topic(7, S7, "warmup", "Why warm the learning rate up, especially for Adam (its first "
           "step is the full rate in every weight)?"),
    _topic(7, S7, "adamw", "AdamW vs Adam with L2: why decoupled weight decay differs for "
           "Adam but not for plain SGD."),
    _topic(7, S7, "smoothing", "What is label smoothing, its target and its loss, and why do "
           "the logits then stay finite?"),
    _topic(10, S10, "twostage", "Two-stage detection: R-CNN, Fast R-CNN and Faster R-CNN next "
           "to YOLO's one stage; what each computes per proposal."),
    _topic(10, S10, "anchors", "Anchors: how many for an image and a stride, and which are "
           "positive, negative or ignored (IoU 0.7 / 0.3)?",
           code="len(detection.generate_anchors((600, 1000), 16, (128, 256, 512), "
                "(0.5, 1.0, 2.0)))"),
    _topic(10, S10, "deltas", "Which box deltas (tx, ty, tw, th) does a region proposal "
           "network regress, and how are they decoded?",
           code="detection.encode_deltas(np.array([[5.0, 0.0, 15.0, 20.0]]), "
                "np.array([[0.0, 0.0, 10.0, 10.0]])).round(4)"),
    _topic(10, S10, "roi", "How does RoI pooling turn a proposal of any size into a fixed "
           "grid?", code="detection.roi_pool(np.arange(16.0).reshape(1, 1, 4, 4), "
                         "np.array([[0.0, 0, 0, 3, 3]]), 2)[0, 0]"),
    _topic(10, S10, "family", "How fast are R-CNN, Fast R-CNN, Faster R-CNN and YOLO, as "
           "published?"),
)


def topics_markdown() -> str:
    """A markdown list of the canonical topics beyond the notes, with their links."""
    lines = []
    for topic in sorted(TOPICS, key=lambda t: t.chapter):
        target = topic.link.removeprefix("notebooks/")  # relative to a notebook
        lines.append(f"- {topic.text} → [§ {topic.section}]({target})"
                     + (f" · `{topic.code}`" if topic.code else ""))
    return "\n".join(lines)


class Trap(NamedTuple):
    """One error of the notes, and where the course refutes it."""

    claim: str        # the notes' sentence, quoted exactly
    source: str       # "file-prefix:line" in shared/seeds
    correction: str   # the correct statement, in our words
    exercise: str     # the graded exercise that computes the counter-example
    practice: str     # the practice kind that draws fresh variants
    section: str      # its heading in exercises/12_review.ipynb
    lesson: str       # link to the lecture section that teaches the correct version

    @property
    def link(self) -> str:
        """The exercise's section in the exercise notebook."""
        return f"exercises/{NOTEBOOKS[12]}.ipynb#{anchor(self.section)}"


def _trap(number, title, points, claim, source, correction, function, kind, lesson):
    return Trap(claim, source, correction, f"ch12.{function}", f"trap_{kind}",
                f"{number}. Refute the notes: {title} ({points} point{'s' * (points > 1)})",
                lesson)


TRAPS: tuple[Trap, ...] = (
    _trap(2, "the transposed convolution ignores its padding", 2,
          "A 2x2 input  $I$  is expanded to a 5x5 grid with stride 2 and padding 1", "001:1511",
          "A transposed convolution's padding crops the sum of stamps: with padding 1 the "
          "notes' example gives 3×3, not 5×5.", "transposed_conv_cropped", "tconv_padding",
          _at(9, S9["tconv"])),
    _trap(3, "YOLO's output size", 1, "$$S * S * (B * (5 + C))$$", "001:1458",
          "YOLOv1 predicts one class vector per cell, S·S·(5B + C); one per anchor box, "
          "S·S·B·(5 + C), is YOLOv2's layout.", "yolo_counts", "yolo", _at(10, S10["layouts"])),
    _trap(4, "segmentation is not clustering", 2,
          "Segmentation: Segmentation is an unsupervised learning problem which provies a set "
          "of clusters.", "000:16",
          "Semantic segmentation is supervised per-pixel classification; clusters of similar "
          "pixels need not be classes.", "best_cluster_accuracy", "segmentation",
          _at(1, S1["kinds"])),
    _trap(5, "vanishing and exploding gradients without a learning rate", 2,
          "when the learning rate is too high –> positive feedback –> loss grows without bound",
          "002:35", "Vanishing and exploding gradients are products of many local gradients "
                    "(depth, activation, initialisation); the learning rate only scales the "
                    "update.", "chain_gradients", "gradients", _at(4, S4["trap"])),
    _trap(5, "vanishing and exploding gradients without a learning rate", 2,
          "When learning rate is too small –>negative feedback –> gradient vanishes", "002:38",
          "A small learning rate slows training; it does not make the gradient vanish.",
          "chain_gradients", "gradients", _at(4, S4["trap"])),
    _trap(6, "stop on the validation loss", 2,
          "When we see that the loss of training is increasing again", "004:7",
          "Early stopping watches the validation loss and keeps the best checkpoint; the "
          "training loss of an overfitting net keeps falling.", "early_stopping",
          "early_stopping", _at(7, S7["early"])),
    _trap(7, "dropout's p, defined once", 2,
          "-set activations to 0 with (1-p) –> need compensation for dropout effect i.e. test "
          "time: multiply activation with p", "002:200",
          "Here p is the keep probability; PyTorch's Dropout(p) drops with probability p and "
          "scales the kept units by 1/(1 − p) in training.", "dropout_means", "dropout",
          _at(7, S7["dropout"])),
    _trap(8, "initialising uniformly in [0, 1]", 2, "e.g. uniform random in the range [0,1]",
          "002:215", "Weights need zero mean (Xavier: ±√(6/(n_in + n_out))); U[0, 1] shifts "
                     "every pre-activation by n·E[w]·E[x].", "uniform_init_moments",
          "uniform_init", _at(7, S7["init"])),
    _trap(9, "He initialisation is made for ReLU's non-zero mean", 2,
          "effective when used with activation functions that have a mean close to zero e.g. "
          "ReLU", "002:220",
          "ReLU's outputs have mean σ/√(2π), not 0; He's factor 2 undoes the half that ReLU "
          "sets to zero.", "relu_he_moments", "he", _at(7, S7["init"])),
    _trap(10, "full convolution is zero padding", 2,
          "We cannot pad with 0 because that may influence the result", "004:49",
          "Full convolution is zero padding of F − 1 on every side, then a valid pass.",
          "full_correlation", "full_conv", _at(5, S5["full"])),
    _trap(11, "the two meanings of 2.5-D", 2,
          "In 2.5D: 3 orthogonal 2D slices of a 3D space are taken as input.", "001:1713",
          "That is one of two 2.5-D inputs; the other stacks a slice with its neighbours as "
          "channels. Say which one you mean.", "input_25d", "25d", _at(12, S12["dims"])),
)


def traps_markdown() -> str:
    """A markdown list of the notes' errors, each with its exercise, practice kind and lesson."""
    lines = []
    for trap in TRAPS:
        target = "../" + trap.link  # relative to a lecture notebook
        lesson = "../" + trap.lesson
        quote = " ".join(trap.claim.replace("$", "").split())
        lines.append(f"- *\"{quote}\"* ({trap.source}) — {trap.correction} "
                     f"[exercise `{trap.exercise}`]({target}) · practice `{trap.practice}` · "
                     f"[lesson]({lesson.replace('../notebooks/', '')})")
    return "\n".join(lines)


def by_chapter(*, include_not_covered: bool = False) -> dict[int, list[Question]]:
    """The questions grouped by chapter number, in course order."""
    groups: dict[int, list[Question]] = {}
    for question in QUESTIONS + (NOT_COVERED if include_not_covered else ()):
        groups.setdefault(question.chapter, []).append(question)
    return dict(sorted(groups.items()))


def sources() -> set[str]:
    """Every ``"file:line"`` of the notes that some entry (covered or not) accounts for."""
    return {source for q in QUESTIONS + NOT_COVERED for source in q.sources}


def markdown(chapter: int | None = None) -> str:
    """A markdown list of the questions (one chapter or all) with their links."""
    lines = []
    for number, questions in by_chapter().items():
        if chapter is not None and number != chapter:
            continue
        lines.append(f"**{NOTEBOOKS[number]}**")
        for q in questions:
            target = q.link.removeprefix("notebooks/")  # relative to a notebook
            lines.append(f"- {q.text} → [§ {q.section}]({target})"
                         + (f" · `{q.code}`" if q.code else ""))
    if chapter is None and NOT_COVERED:
        lines.append("**Not yet covered**")
        lines += [f"- {q.text}" for q in NOT_COVERED]
    return "\n".join(lines)
