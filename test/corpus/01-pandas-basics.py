# A first look at pandas: building a DataFrame, selecting, filtering, cleaning and saving it.

# %% Imports
%matplotlib inline
import numpy as np
import pandas as pd
pd.__version__

# %% A small table of students, typed in by hand
students = pd.DataFrame({
    "name": ["Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana"],
    "class": ["A", "B", "A", "B", "A", "B", "A", "B"],
    "math": [90, 72, 85, 60, 95, 78, 66, 88],
    "physics": [84, 70, 91, 58, 89, 74, 70, 92],
    "age": [17, 18, 17, 19, 18, 17, 18, 17],
})
students
# expect: html
# expect: text Cleo

# %% Shape and column types
print(students.shape)
students.dtypes
# expect: text \(8, 5\)
# expect: text math\s+int64

# %% Summary statistics
students.describe()
# expect: text mean\s+79\.250*\s+78\.50*\s+17\.6250*

# %% The first rows
students.head(3)
# expect: text Ada
# expect: no-text Hana

# %% Selecting one column gives a Series
students["math"].mean()
# expect: text 79\.25

# %% Several columns, then a row by label
students[["name", "math"]].tail(2)

# %% loc and iloc
print(students.loc[2, "name"], students.iloc[-1]["name"])
# expect: text Cleo Hana

# %% Boolean filtering: who scored above 80 in both subjects?
strong = students[(students["math"] > 80) & (students["physics"] > 80)]
strong["name"].tolist()
# expect: text \['Ada', 'Cleo', 'Eve', 'Hana'\]

# %% A new column computed from others
students["average"] = (students["math"] + students["physics"]) / 2
students.sort_values("average", ascending=False).head(3)
# expect: text Eve\s+A\s+95\s+89\s+18\s+92\.0

# %% Asking for a column that does not exist
students["chemistry"]
# expect: error KeyError

# %% query() reads like a sentence
students.query("`class` == 'B' and age < 19")[["name", "average"]]

# %% String methods on a column of messy text
raw = pd.Series(["  Alice Smith", "bob JONES ", "Carol  white", None, "dave o'brien"])
clean = raw.str.strip().str.split().str.join(" ").str.title()
clean
# expect: text Bob Jones
# expect: text Carol White

# %% Extracting parts with a regular expression
emails = pd.Series(["ada@school.org", "ben@mail.com", "cleo@school.org", "not-an-email"])
parts = emails.str.extract(r"^(?P<user>[^@]+)@(?P<domain>.+)$")
parts
# expect: text school\.org

# %% Counting values
parts["domain"].value_counts(dropna=False)

# %% Missing data: find it
scores = pd.DataFrame({
    "quiz1": [8, np.nan, 7, 9, np.nan],
    "quiz2": [6, 7, np.nan, 10, 5],
    "quiz3": [9, 8, 7, np.nan, 6],
})
scores.isna().sum()
# expect: text quiz1\s+2

# %% Drop or fill the gaps
print(len(scores.dropna()))
scores.fillna(scores.mean())
# expect: text ^1$

# %% Interpolation fills from the neighbours
scores["quiz1"].interpolate()
# expect: text 7\.5

# %% Writing a CSV into the working directory and reading it back
import os
students.to_csv("students.csv", index=False)
back = pd.read_csv("students.csv")
print(os.getcwd(), back.shape, back.equals(students))
# expect: text /mnt/data \(8, 6\) True

# %% Reading with options: parse only some columns, set an index
pd.read_csv("students.csv", usecols=["name", "math"], index_col="name").loc["Finn"]
# expect: text math\s+78

# %% A first chart straight from the DataFrame
students.plot.bar(x="name", y=["math", "physics"], figsize=(7, 3), title="Scores by student")
# expect: images 1

# %% A histogram of one column
students["average"].plot.hist(bins=5, edgecolor="black")
# expect: images 1

# %% The notebook checks itself
assert students["average"].max() == 92.0
assert len(students.query("age == 17")) == 4, "four 17-year-olds"
