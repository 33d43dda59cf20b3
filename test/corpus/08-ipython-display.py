# Rich output in IPython: display(), the display classes and objects that describe themselves.

# %%
from IPython.display import display, HTML, Markdown, Latex, Math, JSON, Javascript, SVG, Image, Pretty
import pandas as pd

# %% HTML from a string
HTML("<h3>Results</h3><p>The experiment <b>worked</b>: 42 of 50 runs passed.</p>")
# expect: html
# expect: text 42 of 50 runs passed

# %% An HTML table built by hand
rows = [("alpha", 0.1), ("beta", 0.25), ("gamma", 0.5)]
HTML("<table><tr><th>name</th><th>value</th></tr>" + "".join(f"<tr><td>{n}</td><td>{v}</td></tr>" for n, v in rows) + "</table>")
# expect: html
# expect: text beta \| 0\.25

# %% Markdown
Markdown("## Summary\n\n* **mean**: 3.5\n* **median**: 3\n\n| a | b |\n|---|---|\n| 1 | 2 |")
# expect: markdown
# expect: text \*\*mean\*\*: 3\.5

# %% LaTeX, as a display object and as Math
display(Latex(r"The area of a circle is $A = \pi r^2$."))
Math(r"\int_0^1 x^2\,dx = \frac{1}{3}")
# expect: latex
# expect: text \\frac\{1\}\{3\}

# %% JSON is shown as data
JSON({"model": "ridge", "alpha": 0.5, "features": ["age", "bmi"], "scores": {"r2": 0.41}})
# expect: json
# expect: text "alpha": 0\.5

# %% JavaScript is shown as code and never run
Javascript("document.title = 'changed by a notebook';")
# expect: javascript
# expect: text document\.title

# %% SVG drawn by hand
SVG('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60"><rect width="120" height="60" fill="#eef"/><circle cx="30" cy="30" r="20" fill="teal"/><text x="60" y="35">hi</text></svg>')
# expect: svg
# expect: images 0

# %% Several display calls in one cell keep their order
display(Markdown("**first**"))
display(HTML("<i>second</i>"))
print("third, on stdout")
display(pd.DataFrame({"x": [1, 2]}))
# expect: markdown
# expect: html
# expect: text third, on stdout

# %% display() of plain Python objects uses their repr
display([1, 2, 3], {"a": 1})
display(Pretty("pretty text\nover two lines"))
# expect: text \[1, 2, 3\]
# expect: text pretty text

# %% A class with an HTML representation
class Badge:
    def __init__(self, label, color):
        self.label, self.color = label, color

    def _repr_html_(self):
        return f'<span style="background:{self.color};padding:2px 6px;border-radius:4px">{self.label}</span>'

Badge("passing", "#4c1")
# expect: html
# expect: text passing

# %% A list of badges displayed one by one
for label, color in [("build", "#4c1"), ("coverage 91%", "#dfb317")]:
    display(Badge(label, color))
# expect: html
# expect: text coverage 91%

# %% A class with Markdown and plain-text representations
class Recipe:
    def __init__(self, name, steps):
        self.name, self.steps = name, steps

    def _repr_markdown_(self):
        return f"### {self.name}\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(self.steps, 1))

    def __repr__(self):
        return f"Recipe({self.name!r}, {len(self.steps)} steps)"

tea = Recipe("Tea", ["Boil water", "Add leaves", "Wait 3 minutes"])
tea
# expect: markdown
# expect: text Wait 3 minutes

# %% repr() still gives the plain text
print(repr(tea))
# expect: text Recipe\('Tea', 3 steps\)

# %% A class with a LaTeX representation
class Fraction:
    def __init__(self, num, den):
        self.num, self.den = num, den

    def _repr_latex_(self):
        return rf"$\frac{{{self.num}}}{{{self.den}}}$"

Fraction(22, 7)
# expect: latex
# expect: text \\frac\{22\}\{7\}

# %% A class with a JSON representation
class Config:
    def __init__(self, **values):
        self.values = values

    def _repr_json_(self):
        return self.values

Config(learning_rate=0.01, epochs=5)
# expect: json
# expect: text "epochs": 5

# %% A class that draws itself as a PNG
import io
import numpy as np
from PIL import Image as PILImage

class Swatch:
    def __init__(self, rgb):
        self.rgb = rgb

    def _repr_png_(self):
        pixels = np.zeros((20, 60, 3), dtype=np.uint8) + np.array(self.rgb, dtype=np.uint8)
        buf = io.BytesIO()
        PILImage.fromarray(pixels).save(buf, format="PNG")
        return buf.getvalue()

Swatch((200, 30, 30))
# expect: images 1

# %% Two swatches displayed, one returned: three images
display(Swatch((0, 128, 0)), Swatch((0, 0, 255)))
Swatch((255, 200, 0))
# expect: images 3

# %% A class with a mime bundle: the frontend picks the richest type
class Measurement:
    def __init__(self, value, unit):
        self.value, self.unit = value, unit

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/plain": f"{self.value} {self.unit}",
            "text/html": f"<b>{self.value}</b>&nbsp;<i>{self.unit}</i>",
            "application/json": {"value": self.value, "unit": self.unit},
        }

Measurement(9.81, "m/s²")
# expect: html
# expect: json
# expect: text 9\.81 m/s²

# %% Only some types, on request
display(Measurement(3.0, "kg"), include=["text/plain"])
# expect: text 3\.0 kg

# %% A representation may decline (return None): the plain text is used instead
class Quiet:
    def _repr_html_(self):
        return None

    def __repr__(self):
        return "Quiet(nothing to render)"

Quiet()
# expect: text Out\[\d+\]: Quiet\(nothing to render\)

# %% display with raw=True publishes a bundle directly
display({"text/plain": "raw plain", "text/markdown": "*raw markdown*"}, raw=True)
# expect: markdown
# expect: text raw markdown

# %% A display handle can be updated in place
handle = display(Markdown("step 1 of 2"), display_id=True)
handle.update(Markdown("step 2 of 2"))
# expect: text step 2 of 2
# expect: no-text step 1 of 2

# %% An Image from bytes
buf = io.BytesIO()
PILImage.fromarray(np.eye(32, dtype=np.uint8) * 255).save(buf, format="PNG")
Image(data=buf.getvalue(), format="png")
# expect: images 1

# %% A DataFrame shown with to_html inside HTML
df = pd.DataFrame({"metric": ["precision", "recall"], "value": [0.91, 0.87]})
HTML(df.to_html(index=False))
# expect: html
# expect: text recall \| 0\.87

# %% IPython's own objects: a FileLink-like listing of the working directory
from IPython.display import FileLink
with open("notes.txt", "w") as f:
    f.write("hello\n")
FileLink("notes.txt")
# expect: html
# expect: text notes\.txt
