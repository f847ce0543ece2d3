"""Fixture problems read from stdin (our own problems, written for these tests).

Each entry: id, title, platform, difficulty, contest date, statement, test inputs (the first
`public` are public), and programs: the reference solution and a wrong, a slow (times out) and a
crashing answer. `build_fixtures.py` computes the expected outputs by running the reference.
"""

# ruff: noqa: E501  (program texts and statements are data)
from __future__ import annotations

from typing import Any

PROBLEMS: list[dict[str, Any]] = [
    {
        "id": "qx1001",
        "title": "Two Numbers",
        "platform": "atcoder",
        "difficulty": "easy",
        "date": "2023-06-10",
        "statement": (
            "You are given two integers A and B. Print A + B.\n\nInput\n\nA B\n\nOutput\n\n"
            "Print the sum.\n\nConstraints\n\n-10^18 <= A, B <= 10^18\n\nSample Input 1\n\n"
            "3 4\n\nSample Output 1\n\n7"
        ),
        "inputs": ["3 4\n", "-5 5\n", "1000000000000000000 999999999999999999\n", "0 -7\n"],
        "public": 1,
        "reference": "a, b = map(int, input().split())\nprint(a + b)\n",
        "wrong": "a, b = map(int, input().split())\nprint(a - b)\n",
        "slow": (
            "a, b = map(int, input().split())\ns = a\nstep = 1 if b >= 0 else -1\n"
            "for _ in range(abs(b)):\n    s += step\nprint(s)\n"
        ),
        "crash": "a, b = map(int, input().split())\nprint([a, b][2])\n",
    },
    {
        "id": "qx1002",
        "title": "Maximum Window Sum",
        "platform": "codeforces",
        "difficulty": "medium",
        "date": "2023-09-02",
        "statement": (
            "Given N integers a_1..a_N, print the largest sum of a non-empty contiguous "
            "segment.\n\nInput\n\nN\na_1 ... a_N\n\nOutput\n\nOne integer.\n\nConstraints\n\n"
            "1 <= N <= 3000, |a_i| <= 10^9"
        ),
        "inputs": [
            "5\n-2 1 -3 4 -1\n",
            "3\n-5 -1 -8\n",
            "1\n42\n",
            "3000\n" + " ".join(str((i * 37) % 201 - 100) for i in range(3000)) + "\n",
        ],
        "public": 2,
        "reference": (
            "n = int(input())\na = list(map(int, input().split()))\nbest = cur = a[0]\n"
            "for x in a[1:]:\n    cur = max(x, cur + x)\n    best = max(best, cur)\nprint(best)\n"
        ),
        "wrong": (
            "n = int(input())\na = list(map(int, input().split()))\n"
            "print(max(0, sum(x for x in a if x > 0)))\n"
        ),
        "slow": (
            "n = int(input())\na = list(map(int, input().split()))\nbest = a[0]\n"
            "for i in range(n):\n    for j in range(i, n):\n        s = 0\n"
            "        for k in range(i, j + 1):\n            s += a[k]\n        best = max(best, s)\n"
            "print(best)\n"
        ),
        "crash": "n = int(input())\na = list(map(int, input().split()))\nprint(max(a) // 0)\n",
    },
    {
        "id": "qx1003",
        "title": "Counting Inversions",
        "platform": "atcoder",
        "difficulty": "hard",
        "date": "2024-02-17",
        "statement": (
            "Count the pairs i < j with a_i > a_j.\n\nInput\n\nN\na_1 ... a_N\n\nOutput\n\n"
            "The number of inversions.\n\nConstraints\n\n1 <= N <= 2*10^4, 1 <= a_i <= 10^6"
        ),
        "inputs": [
            "5\n3 1 2 5 4\n",
            "4\n1 2 3 4\n",
            "20000\n" + " ".join(str((i * 7919) % 20011 + 1) for i in range(20000)) + "\n",
        ],
        "public": 1,
        "reference": (
            "import sys\n\ndef main():\n    data = sys.stdin.read().split()\n    n = int(data[0])\n"
            "    a = list(map(int, data[1:1 + n]))\n    ranks = {v: i + 1 for i, v in "
            "enumerate(sorted(set(a)))}\n    size = len(ranks)\n    tree = [0] * (size + 1)\n"
            "    inv = 0\n    for seen, v in enumerate(a):\n        r = ranks[v]\n        s = 0\n"
            "        i = r\n        while i > 0:\n            s += tree[i]\n            i -= i & -i\n"
            "        inv += seen - s\n        i = r\n        while i <= size:\n"
            "            tree[i] += 1\n            i += i & -i\n    print(inv)\n\n"
            "if __name__ == '__main__':\n    main()\n"
        ),
        "wrong": (
            "n = int(input())\na = list(map(int, input().split()))\n"
            "print(sum(1 for i in range(n - 1) if a[i] > a[i + 1]))\n"
        ),
        "slow": (
            "n = int(input())\na = list(map(int, input().split()))\nc = 0\nfor i in range(n):\n"
            "    for j in range(i + 1, n):\n        if a[i] > a[j]:\n            c += 1\n"
            "import time\ntime.sleep(30)\nprint(c)\n"
        ),
        "crash": "n = int(input())\na = list(map(int, input().split()))\nprint(a[n])\n",
    },
    {
        "id": "qx1004",
        "title": "Huge Fibonacci",
        "platform": "codeforces",
        "difficulty": "medium",
        "date": "2024-04-20",
        "statement": (
            "Print F(N) mod 1000000007 where F(0) = 0, F(1) = 1, F(n) = F(n-1) + F(n-2).\n\n"
            "Input\n\nN\n\nConstraints\n\n0 <= N <= 10^18"
        ),
        "inputs": ["10\n", "0\n", "1\n", "1000000000000000000\n", "123456789012345\n"],
        "public": 2,
        "reference": (
            "M = 10**9 + 7\n\ndef fib(n):\n    if n == 0:\n        return (0, 1)\n"
            "    a, b = fib(n >> 1)\n    c = a * ((2 * b - a) % M) % M\n    d = (a * a + b * b) % M\n"
            "    return (d, (c + d) % M) if n & 1 else (c, d)\n\nprint(fib(int(input()))[0])\n"
        ),
        "wrong": (
            "M = 10**9 + 7\nn = int(input())\na, b = 0, 1\nfor _ in range(n % 1000):\n"
            "    a, b = b, (a + b) % M\nprint(a)\n"
        ),
        "slow": (
            "M = 10**9 + 7\nn = int(input())\na, b = 0, 1\nfor _ in range(n):\n"
            "    a, b = b, (a + b) % M\nprint(a)\n"
        ),
        "crash": "import sys\nsys.setrecursionlimit(100)\n\ndef f(n):\n    return f(n - 1)\n\nf(10)\n",
    },
    {
        "id": "qx1005",
        "title": "Mirror Words",
        "platform": "atcoder",
        "difficulty": "easy",
        "date": "2024-06-01",
        "statement": (
            "Given a line of words separated by single spaces, print the words in reverse "
            "order.\n\nSample Input\n\nthe quick fox\n\nSample Output\n\nfox quick the"
        ),
        "inputs": ["the quick fox\n", "single\n", "a b c d e f\n"],
        "public": 1,
        "reference": "print(' '.join(reversed(input().split())))\n",
        "wrong": "print(input()[::-1])\n",
        "slow": "import time\nw = input().split()\ntime.sleep(60)\nprint(' '.join(w[::-1]))\n",
        "crash": "w = input().split()\nprint(w.reverse().join(' '))\n",
    },
    {
        "id": "qx1006",
        "title": "Prime Census",
        "platform": "codeforces",
        "difficulty": "medium",
        "date": "2024-07-13",
        "statement": (
            "For each of Q queries N, print the number of primes <= N on its own line.\n\n"
            "Input\n\nQ\nN_1\n...\nN_Q\n\nConstraints\n\n1 <= Q <= 10, 1 <= N_i <= 2*10^6"
        ),
        "inputs": ["3\n10\n1\n100\n", "1\n2\n", "2\n2000000\n1999999\n"],
        "public": 1,
        "reference": (
            "import sys\ndata = sys.stdin.read().split()\nqs = list(map(int, data[1:]))\n"
            "m = max(qs)\nsieve = bytearray([1]) * (m + 1)\nsieve[0] = 0\nif m >= 1:\n"
            "    sieve[1] = 0\ni = 2\nwhile i * i <= m:\n    if sieve[i]:\n"
            "        sieve[i * i::i] = bytearray(len(range(i * i, m + 1, i)))\n    i += 1\n"
            "count = [0] * (m + 1)\nc = 0\nfor k in range(m + 1):\n    c += sieve[k]\n"
            "    count[k] = c\nprint('\\n'.join(str(count[q]) for q in qs))\n"
        ),
        "wrong": (
            "import sys\ndata = sys.stdin.read().split()\n"
            "for q in map(int, data[1:]):\n    print(q // 2)\n"
        ),
        "slow": (
            "import sys\ndata = sys.stdin.read().split()\n\ndef is_prime(x):\n    if x < 2:\n"
            "        return False\n    for d in range(2, x):\n        if x % d == 0:\n"
            "            return False\n    return True\n\nfor q in map(int, data[1:]):\n"
            "    print(sum(1 for x in range(q + 1) if is_prime(x)))\n"
        ),
        "crash": "import sys\ndata = sys.stdin.read().split()\nprint(int(data[-1]) + None)\n",
    },
    {
        "id": "qx1007",
        "title": "Common Divisor",
        "platform": "atcoder",
        "difficulty": "easy",
        "date": "2024-08-24",
        "statement": "Print the greatest common divisor of N positive integers.\n\nInput\n\nN\na_1 ... a_N",
        "inputs": ["3\n12 18 24\n", "2\n7 13\n", "4\n100 1000 10 10000\n"],
        "public": 1,
        "reference": (
            "from math import gcd\nfrom functools import reduce\ninput()\n"
            "print(reduce(gcd, map(int, input().split())))\n"
        ),
        "wrong": "input()\nprint(min(map(int, input().split())))\n",
        "slow": (
            "input()\na = list(map(int, input().split()))\nd = min(a)\nwhile True:\n"
            "    d = d if all(x % d == 0 for x in a) else d\n"
        ),
        "crash": "from math import gcd\ninput()\nprint(gcd(*input().split()))\n",
    },
    {
        "id": "qx1008",
        "title": "Grid Escape",
        "platform": "codeforces",
        "difficulty": "medium",
        "date": "2024-09-14",
        "statement": (
            "A grid has H rows and W columns of '.' (free) and '#' (wall). Print the length of "
            "a shortest path from the top-left to the bottom-right cell moving in four "
            "directions, or -1.\n\nInput\n\nH W\nrows\n\nConstraints\n\n1 <= H, W <= 200"
        ),
        "inputs": [
            "3 3\n...\n.#.\n...\n",
            "2 2\n.#\n#.\n",
            "1 1\n.\n",
            "60 60\n" + "\n".join("." * 60 for _ in range(60)) + "\n",
        ],
        "public": 2,
        "reference": (
            "from collections import deque\nh, w = map(int, input().split())\n"
            "g = [input() for _ in range(h)]\ndist = [[-1] * w for _ in range(h)]\n"
            "dist[0][0] = 0 if g[0][0] == '.' else -1\nq = deque([(0, 0)] if g[0][0] == '.' else [])\n"
            "while q:\n    r, c = q.popleft()\n    for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):\n"
            "        nr, nc = r + dr, c + dc\n        if 0 <= nr < h and 0 <= nc < w and "
            "g[nr][nc] == '.' and dist[nr][nc] < 0:\n            dist[nr][nc] = dist[r][c] + 1\n"
            "            q.append((nr, nc))\nprint(dist[h - 1][w - 1])\n"
        ),
        "wrong": "h, w = map(int, input().split())\nprint(h + w - 2)\n",
        "slow": (
            "import sys\nsys.setrecursionlimit(10000)\nh, w = map(int, input().split())\n"
            "g = [input() for _ in range(h)]\nbest = [-1]\nseen = set()\n\ndef go(r, c, d):\n"
            "    if (r, c) == (h - 1, w - 1):\n        if best[0] < 0 or d < best[0]:\n"
            "            best[0] = d\n        return\n    for dr, dc in ((1, 0), (0, 1), (-1, 0), "
            "(0, -1)):\n        nr, nc = r + dr, c + dc\n        if 0 <= nr < h and 0 <= nc < w "
            "and g[nr][nc] == '.' and (nr, nc) not in seen:\n            seen.add((nr, nc))\n"
            "            go(nr, nc, d + 1)\n            seen.discard((nr, nc))\n\nseen.add((0, 0))\n"
            "go(0, 0, 0)\nprint(best[0])\n"
        ),
        "crash": "h, w = map(int, input().split())\ng = [input() for _ in range(h + 5)]\nprint(0)\n",
    },
    {
        "id": "qx1009",
        "title": "Longest Rising Chain",
        "platform": "atcoder",
        "difficulty": "hard",
        "date": "2024-10-05",
        "statement": (
            "Print the length of the longest strictly increasing subsequence of N integers.\n\n"
            "Input\n\nN\na_1 ... a_N\n\nConstraints\n\n1 <= N <= 10^5"
        ),
        "inputs": [
            "6\n10 9 2 5 3 7\n",
            "3\n3 3 3\n",
            "60\n" + " ".join(str((i * 13) % 61) for i in range(60)) + "\n",
            "30000\n" + " ".join(str((i * 7) % 30011) for i in range(30000)) + "\n",
        ],
        "public": 1,
        "reference": (
            "import sys\nfrom bisect import bisect_left\ndata = sys.stdin.buffer.read().split()\n"
            "n = int(data[0])\ntails = []\nfor x in map(int, data[1:1 + n]):\n"
            "    i = bisect_left(tails, x)\n    if i == len(tails):\n        tails.append(x)\n"
            "    else:\n        tails[i] = x\nprint(len(tails))\n"
        ),
        "wrong": (
            "n = int(input())\na = list(map(int, input().split()))\nbest = cur = 1\n"
            "for i in range(1, n):\n    cur = cur + 1 if a[i] > a[i - 1] else 1\n"
            "    best = max(best, cur)\nprint(best)\n"
        ),
        "slow": (
            "from itertools import combinations\nn = int(input())\na = list(map(int, "
            "input().split()))\nbest = 1\nfor size in range(2, n + 1):\n"
            "    for c in combinations(a, size):\n        if all(x < y for x, y in zip(c, c[1:])):\n"
            "            best = max(best, size)\nprint(best)\n"
        ),
        "crash": "n = int(input())\na = list(map(int, input().split()))\nprint(len(set(a)) / 0)\n",
    },
    {
        "id": "qx1010",
        "title": "Backpack",
        "platform": "codeforces",
        "difficulty": "medium",
        "date": "2024-11-09",
        "statement": (
            "N items have weights w_i and values v_i. Print the largest total value of items "
            "with total weight at most W.\n\nInput\n\nN W\nw_1 v_1\n...\n\nConstraints\n\n"
            "1 <= N <= 100, 1 <= W <= 10^4"
        ),
        "inputs": [
            "3 5\n2 3\n3 4\n4 5\n",
            "1 1\n2 10\n",
            "60 1000\n" + "".join(f"{(i * 17) % 97 + 5} {(i * 31) % 89 + 1}\n" for i in range(60)),
        ],
        "public": 1,
        "reference": (
            "n, cap = map(int, input().split())\nbest = [0] * (cap + 1)\nfor _ in range(n):\n"
            "    w, v = map(int, input().split())\n    for c in range(cap, w - 1, -1):\n"
            "        if best[c - w] + v > best[c]:\n            best[c] = best[c - w] + v\n"
            "print(best[cap])\n"
        ),
        "wrong": (
            "n, cap = map(int, input().split())\nitems = [tuple(map(int, input().split())) for _ in "
            "range(n)]\nitems.sort(key=lambda t: -t[1])\ntotal = val = 0\nfor w, v in items:\n"
            "    if total + w <= cap:\n        total += w\n        val += v\nprint(val + 1)\n"
        ),
        "slow": (
            "n, cap = map(int, input().split())\nitems = [tuple(map(int, input().split())) for _ in "
            "range(n)]\n\ndef best(i, c):\n    if i == n:\n        return 0\n    skip = best(i + 1, c)\n"
            "    w, v = items[i]\n    return max(skip, best(i + 1, c - w) + v) if w <= c else skip\n"
            "\nprint(best(0, cap))\n"
        ),
        "crash": "n, cap = map(int, input().split())\nprint(int('x' * n))\n",
    },
    {
        "id": "qx1011",
        "title": "Average Speed",
        "platform": "atcoder",
        "difficulty": "easy",
        "date": "2024-12-14",
        "statement": (
            "Print the average of N integers with exactly six digits after the decimal "
            "point.\n\nInput\n\nN\na_1 ... a_N\n\nSample Output\n\n2.500000"
        ),
        "inputs": ["4\n1 2 3 4\n", "1\n7\n", "3\n1 1 2\n"],
        "public": 1,
        "reference": "n = int(input())\na = list(map(int, input().split()))\nprint(f'{sum(a) / n:.6f}')\n",
        "wrong": "n = int(input())\na = list(map(int, input().split()))\nprint(sum(a) // n)\n",
        "slow": (
            "n = int(input())\na = list(map(int, input().split()))\nimport time\n"
            "while time.time() > 0:\n    pass\n"
        ),
        "crash": "n = int(input())\nprint(sum([]) / (n - n))\n",
    },
    {
        "id": "qx1012",
        "title": "Bracket Check",
        "platform": "codeforces",
        "difficulty": "easy",
        "date": "2025-01-01",
        "statement": (
            "For each of T strings of brackets ()[]{}, print YES if it is balanced and NO "
            "otherwise.\n\nInput\n\nT\ns_1\n...\ns_T"
        ),
        "inputs": ["3\n()[]{}\n([)]\n{[]}\n", "1\n(\n", "2\n((((()))))\n)(\n"],
        "public": 1,
        "reference": (
            "t = int(input())\npairs = {')': '(', ']': '[', '}': '{'}\nfor _ in range(t):\n"
            "    s = input().strip()\n    st = []\n    ok = True\n    for ch in s:\n"
            "        if ch in '([{':\n            st.append(ch)\n"
            "        elif not st or st.pop() != pairs[ch]:\n            ok = False\n            break\n"
            "    print('YES' if ok and not st else 'NO')\n"
        ),
        "wrong": (
            "t = int(input())\nfor _ in range(t):\n    s = input().strip()\n"
            "    print('YES' if len(s) % 2 == 0 else 'NO')\n"
        ),
        "slow": (
            "t = int(input())\nfor _ in range(t):\n    s = input().strip()\n    prev = None\n"
            "    while prev != s or True:\n        prev = s\n"
            "        s = s.replace('()', '').replace('[]', '').replace('{}', '')\n"
            "    print('YES' if not s else 'NO')\n"
        ),
        "crash": "t = int(input())\nfor _ in range(t):\n    s = input()\n    print({'(': 1}[s[-1]])\n",
    },
    {
        "id": "qx1013",
        "title": "Coin Ways",
        "platform": "atcoder",
        "difficulty": "medium",
        "date": "2025-01-18",
        "statement": (
            "In how many ways can amount X be paid with coins of the given K denominations "
            "(order does not matter)? Print the count modulo 998244353.\n\nInput\n\nK X\n"
            "c_1 ... c_K\n\nConstraints\n\n1 <= K <= 50, 1 <= X <= 10^5"
        ),
        "inputs": ["3 5\n1 2 5\n", "1 3\n2\n", "4 100000\n1 5 10 25\n"],
        "public": 1,
        "reference": (
            "k, x = map(int, input().split())\ncoins = list(map(int, input().split()))\n"
            "M = 998244353\nways = [0] * (x + 1)\nways[0] = 1\nfor c in coins:\n"
            "    for v in range(c, x + 1):\n        ways[v] = (ways[v] + ways[v - c]) % M\n"
            "print(ways[x])\n"
        ),
        "wrong": (
            "k, x = map(int, input().split())\ncoins = list(map(int, input().split()))\n"
            "ways = [0] * (x + 1)\nways[0] = 1\nfor v in range(1, x + 1):\n    for c in coins:\n"
            "        if c <= v:\n            ways[v] = (ways[v] + ways[v - c]) % 998244353\n"
            "print(ways[x])\n"
        ),
        "slow": (
            "import sys\nsys.setrecursionlimit(1000000)\nk, x = map(int, input().split())\n"
            "coins = list(map(int, input().split()))\n\ndef count(i, left):\n    if left == 0:\n"
            "        return 1\n    if i == k or left < 0:\n        return 0\n"
            "    return count(i, left - coins[i]) + count(i + 1, left)\n\n"
            "print(count(0, x) % 998244353)\n"
        ),
        "crash": "k, x = map(int, input().split())\ncoins = input().split()\nprint(x % coins[0])\n",
    },
    {
        "id": "qx1014",
        "title": "Factor Lines",
        "platform": "codeforces",
        "difficulty": "medium",
        "date": "2025-02-08",
        "statement": (
            "For each of Q integers print its prime factors in non-decreasing order on one "
            "line, separated by spaces.\n\nInput\n\nQ\nN_1\n...\n\nConstraints\n\n"
            "2 <= N_i <= 10^12"
        ),
        "inputs": ["3\n12\n17\n100\n", "1\n2\n", "2\n999999999989\n600851475143\n"],
        "public": 1,
        "reference": (
            "q = int(input())\nfor _ in range(q):\n    n = int(input())\n    out = []\n    d = 2\n"
            "    while d * d <= n:\n        while n % d == 0:\n            out.append(d)\n"
            "            n //= d\n        d += 1\n    if n > 1:\n        out.append(n)\n"
            "    print(*out)\n"
        ),
        "wrong": (
            "q = int(input())\nfor _ in range(q):\n    n = int(input())\n    out = []\n"
            "    for d in range(2, 100):\n        while n % d == 0:\n            out.append(d)\n"
            "            n //= d\n    print(*out)\n"
        ),
        "slow": (
            "q = int(input())\nfor _ in range(q):\n    n = int(input())\n    out = []\n    d = 2\n"
            "    while n > 1:\n        while n % d == 0:\n            out.append(d)\n"
            "            n //= d\n        d += 1\n    print(*out)\n"
        ),
        "crash": "q = int(input())\nprint(*[int(input()) for _ in range(q + 1)])\n",
    },
    {
        "id": "qx1015",
        "title": "Queens",
        "platform": "atcoder",
        "difficulty": "hard",
        "date": "2025-03-01",
        "statement": (
            "Print the number of ways to place N non-attacking queens on an N x N board.\n\n"
            "Input\n\nN\n\nConstraints\n\n1 <= N <= 12"
        ),
        "inputs": ["4\n", "1\n", "8\n", "11\n"],
        "public": 2,
        "reference": (
            "n = int(input())\nfull = (1 << n) - 1\n\ndef go(cols, d1, d2):\n"
            "    if cols == full:\n        return 1\n    total = 0\n"
            "    free = full & ~(cols | d1 | d2)\n    while free:\n        bit = free & -free\n"
            "        free ^= bit\n        total += go(cols | bit, ((d1 | bit) << 1) & full, "
            "(d2 | bit) >> 1)\n    return total\n\nprint(go(0, 0, 0))\n"
        ),
        "wrong": "n = int(input())\nprint(n * (n - 3) if n > 3 else int(n == 1))\n",
        "slow": (
            "from itertools import permutations\nn = int(input())\ncount = 0\n"
            "for p in permutations(range(n)):\n    if len({p[i] + i for i in range(n)}) == n and "
            "len({p[i] - i for i in range(n)}) == n:\n        count += 1\nimport time\n"
            "time.sleep(n)\nprint(count)\n"
        ),
        "crash": "n = int(input())\nassert n % 2 == 1, 'even board'\nprint(1)\n",
    },
    {
        "id": "qx1016",
        "title": "Vowel Count",
        "platform": "codeforces",
        "difficulty": "easy",
        "date": "2025-04-30",
        "statement": "Print the number of vowels (a, e, i, o, u) in the given lowercase string.",
        "inputs": ["hello\n", "rhythm\n", "aeiouaeiou\n"],
        "public": 1,
        "reference": "print(sum(ch in 'aeiou' for ch in input().strip()))\n",
        "wrong": "print(sum(ch in 'aeiouy' for ch in input().strip()))\n",
        "slow": "s = input()\nn = 0\nwhile True:\n    n += s.count('a')\n",
        "crash": "print(input().count())\n",
    },
    {
        "id": "qx1017",
        "title": "Late Spring Sum",
        "platform": "atcoder",
        "difficulty": "medium",
        "date": "2025-05-10",
        "statement": (
            "Print the sum of i * a_i for i = 1..N modulo 10^9 + 7.\n\nInput\n\nN\na_1 ... a_N"
        ),
        "inputs": ["3\n1 2 3\n", "1\n1000000007\n", "5\n5 4 3 2 1\n"],
        "public": 1,
        "reference": (
            "n = int(input())\na = list(map(int, input().split()))\n"
            "print(sum((i + 1) * x for i, x in enumerate(a)) % (10**9 + 7))\n"
        ),
        "wrong": (
            "n = int(input())\na = list(map(int, input().split()))\n"
            "print(sum(i * x for i, x in enumerate(a)) % (10**9 + 7))\n"
        ),
        "slow": (
            "n = int(input())\na = list(map(int, input().split()))\ns = 0\n"
            "for i, x in enumerate(a):\n    for _ in range(10**9):\n        s += x\n"
            "print(s % (10**9 + 7))\n"
        ),
        "crash": "n = int(input())\nprint(n.upper())\n",
    },
]
