"""The Help menu: the chapter's ideas with where the window shows each (links set them up in
one click), and the About box with the versions a bug report needs."""

from __future__ import annotations

import html
import platform
from dataclasses import dataclass
from importlib import metadata

from PySide6.QtCore import QUrl, Signal, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget


@dataclass(frozen=True)
class Idea:
    """One idea of d2l's MLP chapter: what to watch for, and the links that set it up."""

    title: str
    how: str
    links: tuple[tuple[str, str], ...] = ()  # (kind, name): ("preset", a PRESETS name), ("experiment", ...), ("panel", a dock's key)


IDEAS = (
    Idea(
        "Limits of linear models: XOR",
        "With no hidden layer the model draws one straight boundary: on XOR its loss stays at ln 2 = 0.69, "
        "what answering 1/2 everywhere scores (the chance line on the loss plot). Its outputs stay near 1/2, so its accuracy is chance: "
        "anywhere from 0.4 to 0.7, as the seed falls. One hidden layer of ReLUs bends the boundary (drawn "
        "under the network) and solves it. "
        "With the identity activation any depth is still linear: switch it while training. Or give the "
        "linear model the product x₁x₂ as an input (Features, under the dataset): one weight on it separates "
        "XOR, a feature chosen by hand where a hidden layer learns its own (the circle wants x₁² and x₂²).",
        (
            ("preset", "Linear on XOR: no hidden layer"),
            ("preset", "MLP on XOR: one hidden layer of 16"),
            ("preset", "Linear on XOR given x1*x2: no hidden layer"),
            ("panel", "network"),
        ),
    ),
    Idea(
        "Universal approximation, and depth",
        "One hidden layer wide enough can approximate any function, the chapter says, but that does not make "
        "it the easiest to learn. On the spiral one layer of 256 stays near 63 % after 100 epochs; two "
        "layers of 64 with He's init wind the boundary around the arms (95 %). At d2l's N(0, 0.01) the same "
        "two layers stay at chance: a deeper net needs an init that carries the signal through it.",
        (("preset", "Spiral: two ReLU layers of 64 + He"), ("panel", "network")),
    ),
    Idea(
        "Activation functions and their derivatives",
        "ReLU, sigmoid, tanh, leaky ReLU and GELU over [-8, 8], and under each its derivative, drawn over the "
        "chosen layer's pre-activations: see how many units sit in the flat tails, where the gradient is nearly zero.",
        (("panel", "activation"),),
    ),
    Idea(
        "An MLP from scratch, and concise",
        "The book's network: 784-256-10 on Fashion-MNIST, SGD lr 0.1, batch 256, 10 epochs (downloaded once). "
        "Tick From scratch in the controls for its hand-written W, b, ReLU and SGD: the same seed gives the "
        "same numbers as nn.Sequential.",
        (("preset", "d2l default: 784-256-10"), ("panel", "controls")),
    ),
    Idea(
        "Forward and backward propagation",
        "Step (Ctrl+Right) trains one batch, then pauses: the histograms show its pre-activations and "
        "activations (forward), and their gradients and the weight gradients (backward), layer by layer.",
        (("panel", "histograms"),),
    ),
    Idea(
        "Numerical stability: vanishing and exploding gradients",
        "Eight sigmoid layers: each multiplies the gradient by the sigmoid's derivative, at most 1/4, so the "
        "first layer's gradient is orders of magnitude below the last one's. Eight "
        "ReLU layers with N(0, 1) weights: the gradients explode. He init keeps them level. The gradient "
        "flow draws each layer's gradient norm on a log scale; the products of random matrices show why.",
        (
            ("preset", "Vanishing: 8 sigmoid layers"),
            ("preset", "Exploding: ReLU depth 8 with init scale 1 (normal)"),
            ("preset", "Healthy: ReLU + He"),
            ("panel", "gradient_flow"),
            ("panel", "random_matrices"),
        ),
    ),
    Idea(
        "Parameter initialization: too small",
        "d2l's N(0, 0.01) suits one hidden layer. With three ReLU layers of 256, each scales the signal "
        "down about tenfold (0.01 × √256 × what ReLU lets through), so the last passes the output almost "
        "nothing that depends on the input: every gradient is small alike, their ratios look fine, and the "
        "run stays at chance. The gradient flow's line says why. He or Xavier init (Init, then Reset) "
        "keeps the signal level from layer to layer.",
        (("preset", "Too small: 3 ReLU layers at N(0, 0.01)"), ("preset", "Healthy: ReLU + He"), ("panel", "gradient_flow")),
    ),
    Idea(
        "Breaking the symmetry",
        "Every weight 0.01: the 64 hidden units start equal, get equal gradients and stay copies, one unit in "
        "effect (the first layer's pictures in the network are all alike, and the gradient flow says so). "
        "Switch Dropout on while it trains: its random masks set the units apart.",
        (("preset", "Symmetry: every weight 0.01 (constant init)"), ("panel", "network"), ("panel", "gradient_flow")),
    ),
    Idea(
        "Model selection, underfitting and overfitting",
        "Polynomial regression trained side by side: degree 3 fits, degree 1 underfits, degree 19 has the "
        "capacity to overfit. Their train and test losses are overlaid, and their weights beside the true ones. "
        "On any run, once the test loss has not gone below its lowest for 3 epochs, a dashed line on the loss "
        "marks the epoch early stopping would keep.",
        (("experiment", "Model selection: polynomial degree 3 / 1 / 19"),),
    ),
    Idea(
        "Weight decay",
        "L2 with lambda 0 and 3 on 200 dimensions learned from 20 points. Or move L2 (weight decay) while "
        "training: it applies live, and the network's weight norms shrink.",
        (("experiment", "Weight decay: lambda 0 vs 3 (200-d, 20 points)"), ("panel", "controls")),
    ),
    Idea(
        "Dropout",
        "Dropout 0 against 0.5 on 20 noisy points, and d2l's Fashion-MNIST network with 0, 0.2 and 0.5. Or "
        "switch Dropout on while training and watch the gap between the train and test curves.",
        (
            ("experiment", "Dropout: 200-200 net on 20 noisy points, 0 vs 0.5"),
            ("experiment", "Dropout on Fashion-MNIST: 784-256-256-10, 0 / 0.2 / 0.5"),
        ),
    ),
    Idea(
        "Saving and loading",
        "File > Save checkpoint (Ctrl+S) writes epoch, model_state_dict, optimizer_state_dict and loss, with "
        "the settings and the curves; Open checkpoint (Ctrl+O) restores the whole session. File > Export as "
        "PyTorch code (Ctrl+E) writes the run as a plain nn.Sequential script.",
    ),
)

KIND_WORDS = {"preset": "Preset", "experiment": "Experiment", "panel": "Show"}


def guide_html(ideas: tuple[Idea, ...], panel_titles: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
    """The guide as rich text, and the (kind, name) each link stands for: link i is "#i" (names
    hold colons and slashes, which a URL would have to escape)."""
    targets: list[tuple[str, str]] = []
    parts = ["<p>Each idea of d2l's MLP chapter, and where MLP Lab shows it. A link sets it up.</p>"]
    for idea in ideas:
        links = []
        for kind, name in idea.links:
            shown = panel_titles[name] if kind == "panel" else name
            links.append(f'{KIND_WORDS[kind]} <a href="#{len(targets)}">{html.escape(shown)}</a>')
            targets.append((kind, name))
        parts.append(f"<h3>{html.escape(idea.title)}</h3><p>{html.escape(idea.how)}</p>")
        if links:
            parts.append(f"<p>{' &nbsp;·&nbsp; '.join(links)}</p>")
    return "".join(parts), targets


class ChapterGuide(QDialog):
    """Not modal: it stays open beside the window while the user follows it."""

    follow = Signal(str, str)  # kind, name of the link clicked

    def __init__(self, panel_titles: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("The MLP chapter in MLP Lab")
        self.resize(560, 640)
        text, self.targets = guide_html(IDEAS, panel_titles)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)  # the links are commands, not pages
        self.browser.setHtml(text)
        self.browser.anchorClicked.connect(self._clicked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        column = QVBoxLayout(self)
        column.addWidget(self.browser)
        column.addWidget(buttons)

    def _clicked(self, url: QUrl) -> None:
        self.follow.emit(*self.targets[int(url.fragment())])


def about_html(device: str) -> str:
    """The program's and its libraries' versions, and the device it trains on."""

    def version(distribution: str) -> str:
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            return "not installed as a package"

    libraries = {
        "Python": platform.python_version(),
        "PyTorch": version("torch"),
        "torchvision": version("torchvision"),
        "numpy": version("numpy"),
        "PySide6": f"{version('PySide6-Essentials')} (Qt {qVersion()})",
        "pyqtgraph": version("pyqtgraph"),
    }
    rows = "".join(f"<tr><td>{name}&nbsp;&nbsp;</td><td>{html.escape(value)}</td></tr>" for name, value in libraries.items())
    return (
        f"<h3>MLP Lab {html.escape(version('mlp-lab'))}</h3>"
        "<p>Train a multilayer perceptron and watch it learn: the MLP chapter of "
        '<a href="https://d2l.ai/chapter_multilayer-perceptrons/index.html">Dive into Deep Learning</a>, live.</p>'
        f"<p>Training on: {html.escape(device)}</p><table>{rows}</table>"
    )
