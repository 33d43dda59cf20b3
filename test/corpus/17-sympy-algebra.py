# Symbolic mathematics with SymPy: expressions render as LaTeX in a notebook.

# %%
%matplotlib inline
import sympy as sp
x, y, t = sp.symbols("x y t")
n = sp.symbols("n", integer=True, positive=True)

# %% An expression is displayed as LaTeX
expr = (x + 1) ** 3
expr
# expect: latex

# %% Expanding and factoring
sp.expand(expr)
# expect: text x\*\*3 \+ 3\*x\*\*2 \+ 3\*x \+ 1|x\^\{3\} \+ 3 x\^\{2\} \+ 3 x \+ 1

# %% Factoring back
sp.factor(x ** 2 - 5 * x + 6)
# expect: text \(x - 3\)\*\(x - 2\)|\\left\(x - 3\\right\) \\left\(x - 2\\right\)

# %% Simplification of a trigonometric identity
sp.simplify(sp.sin(x) ** 2 + sp.cos(x) ** 2)
# expect: text Out\[\d+\]: 1

# %% Derivatives
sp.diff(sp.sin(x) * sp.exp(x), x)
# expect: latex

# %% Integrals, definite and indefinite
print(sp.integrate(x * sp.exp(-x), (x, 0, sp.oo)), sp.integrate(1 / x, x))
# expect: text ^1 log\(x\)$

# %% Limits and series
print(sp.limit(sp.sin(x) / x, x, 0), sp.series(sp.exp(x), x, 0, 4))
# expect: text ^1 1 \+ x \+ x\*\*2/2 \+ x\*\*3/6 \+ O\(x\*\*4\)$

# %% Solving equations
sp.solve(sp.Eq(x ** 2 - 2, 0), x)
# expect: text sqrt\(2\)

# %% A system of linear equations
sp.solve([sp.Eq(2 * x + y, 5), sp.Eq(x - y, 1)], [x, y])
# expect: text \{x: 2, y: 1\}|x: 2, y: 1

# %% A sum with a closed form
sp.summation(n, (n, 1, 100))
# expect: text 5050

# %% Matrices
M = sp.Matrix([[2, 1], [1, 2]])
print(M.det(), M.eigenvals(), M.inv())
# expect: text ^3 \{3: 1, 1: 1\} Matrix\(\[\[2/3, -1/3\], \[-1/3, 2/3\]\]\)

# %% A matrix is displayed as LaTeX too
M ** 2
# expect: latex

# %% Differential equations
f = sp.Function("f")
ode = sp.Eq(f(t).diff(t, 2) + f(t), 0)
sp.dsolve(ode)
# expect: text C1\*sin\(t\) \+ C2\*cos\(t\)|C_\{1\} \\sin

# %% Rational arithmetic stays exact
sp.Rational(1, 3) + sp.Rational(1, 6)
# expect: text 1/2|\\frac\{1\}\{2\}

# %% Numerical evaluation to many digits
sp.pi.evalf(30)
# expect: text 3\.14159265358979323846264338328

# %% Turning an expression into a NumPy function and plotting it
import numpy as np
import matplotlib.pyplot as plt
g = sp.exp(-x ** 2 / 2) * sp.cos(3 * x)
g_num = sp.lambdify(x, g, "numpy")
xs = np.linspace(-4, 4, 400)
plt.plot(xs, g_num(xs), label=f"${sp.latex(g)}$")
plt.plot(xs, sp.lambdify(x, sp.diff(g, x), "numpy")(xs), label="derivative")
plt.legend()
# expect: images 1

# %% SymPy's own plotting uses matplotlib
p = sp.plot(sp.sin(x) / x, (x, -15, 15), show=False, title="sinc")
p.show()
# expect: images 1

# %% LaTeX source of an expression
print(sp.latex(sp.Integral(sp.sqrt(1 - x ** 2), (x, -1, 1))))
# expect: text \\int\\limits_\{-1\}\^\{1\} \\sqrt\{1 - x\^\{2\}\}\\, dx

# %% Pretty printing as text
sp.pprint(sp.Integral(sp.sqrt(1 - x ** 2), (x, -1, 1)), use_unicode=True)
# expect: text ⌠

# %% Dividing by a symbol that is zero
sp.Integer(1) / 0
# expect: text zoo

# %% Solving with an undefined symbol
sp.solve(z ** 2 - 1, z)
# expect: error NameError

# %% init_printing: in a notebook frontend expressions are also rendered as images (matplotlib's mathtext when LaTeX is not installed)
sp.init_printing()
sp.Integral(sp.sqrt(1 - x ** 2), (x, -1, 1))
# expect: latex
# expect: images 1

# %% The value of that integral is half the area of the unit circle
print(sp.integrate(sp.sqrt(1 - x ** 2), (x, -1, 1)))
# expect: text ^pi/2$
