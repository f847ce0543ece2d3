"""Fixture problems in LeetCode style (call-based; our own problems, written for these tests).

As in `problems_stdin.py`, plus `fn_name`, `starter` (the starter code) and `args`: each test's
arguments (one JSON value per input line).
"""

# ruff: noqa: E501  (program texts and statements are data)
from __future__ import annotations

from typing import Any

_BIG = [(i * 7919) % 10007 for i in range(20000)]

PROBLEMS: list[dict[str, Any]] = [
    {
        "id": "3101",
        "title": "pair-with-target",
        "difficulty": "easy",
        "date": "2023-07-09",
        "fn_name": "pairIndices",
        "statement": (
            "Given an integer array nums and an integer target, return the indices [i, j] "
            "(i < j) of the two numbers that add up to target. Exactly one answer exists.\n\n"
            "Example 1:\n\nInput: nums = [2,7,11,15], target = 9\nOutput: [0,1]"
        ),
        "starter": "class Solution:\n    def pairIndices(self, nums: List[int], target: int) -> List[int]:\n        ",
        "args": [[[2, 7, 11, 15], 9], [[3, 2, 4], 6], [[3, 3], 6], [list(range(5000)), 9997]],
        "public": 2,
        "reference": (
            "class Solution:\n    def pairIndices(self, nums: List[int], target: int) -> List[int]:\n"
            "        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n"
            "                return [seen[target - x], i]\n            seen[x] = i\n"
        ),
        "wrong": (
            "class Solution:\n    def pairIndices(self, nums: List[int], target: int) -> List[int]:\n"
            "        return [[0, 1]]\n"
        ),
        "slow": (
            "class Solution:\n    def pairIndices(self, nums: List[int], target: int) -> List[int]:\n"
            "        for i in range(len(nums)):\n            for j in range(i + 1, len(nums)):\n"
            "                for _ in range(100):\n                    pass\n"
            "                if nums[i] + nums[j] == target:\n                    return [i, j]\n"
        ),
        "crash": (
            "class Solution:\n    def pairIndices(self, nums: List[int], target: int) -> List[int]:\n"
            "        return [nums.index(target)]\n"
        ),
    },
    {
        "id": "3102",
        "title": "best-trade",
        "difficulty": "easy",
        "date": "2023-11-12",
        "fn_name": "maxProfit",
        "statement": (
            "prices[i] is a stock's price on day i. Return the largest profit of one buy "
            "followed by one later sell, or 0."
        ),
        "starter": "class Solution:\n    def maxProfit(self, prices: List[int]) -> int:\n        ",
        "args": [[[7, 1, 5, 3, 6, 4]], [[7, 6, 4, 3, 1]], [_BIG]],
        "public": 1,
        "reference": (
            "class Solution:\n    def maxProfit(self, prices: List[int]) -> int:\n"
            "        low, best = float('inf'), 0\n        for p in prices:\n"
            "            low = min(low, p)\n            best = max(best, p - low)\n        return best\n"
        ),
        "wrong": (
            "class Solution:\n    def maxProfit(self, prices: List[int]) -> int:\n"
            "        return max(prices) - min(prices)\n"
        ),
        "slow": (
            "class Solution:\n    def maxProfit(self, prices: List[int]) -> int:\n        best = 0\n"
            "        for i in range(len(prices)):\n            for j in range(i + 1, len(prices)):\n"
            "                best = max(best, prices[j] - prices[i])\n        return best\n"
        ),
        "crash": (
            "class Solution:\n    def maxProfit(self, prices: List[int]) -> int:\n"
            "        return prices[len(prices)]\n"
        ),
    },
    {
        "id": "3103",
        "title": "stair-steps",
        "difficulty": "easy",
        "date": "2024-03-02",
        "fn_name": "climbStairs",
        "statement": "Return the number of ways to climb n stairs taking 1 or 2 steps at a time.",
        "starter": "class Solution:\n    def climbStairs(self, n: int) -> int:\n        ",
        "args": [[2], [3], [45], [90]],
        "public": 2,
        "reference": (
            "class Solution:\n    def climbStairs(self, n: int) -> int:\n        a, b = 1, 1\n"
            "        for _ in range(n):\n            a, b = b, a + b\n        return a\n"
        ),
        "wrong": "class Solution:\n    def climbStairs(self, n: int) -> int:\n        return n\n",
        "slow": (
            "class Solution:\n    def climbStairs(self, n: int) -> int:\n        if n <= 1:\n"
            "            return 1\n        return self.climbStairs(n - 1) + self.climbStairs(n - 2)\n"
        ),
        "crash": (
            "class Solution:\n    def climbStairs(self, n: int) -> int:\n"
            "        return self.climbStairs(n + 1)\n"
        ),
    },
    {
        "id": "3104",
        "title": "widest-palindrome",
        "difficulty": "medium",
        "date": "2024-05-18",
        "fn_name": "longestPalindrome",
        "statement": (
            "Return the longest palindromic substring of s (the leftmost one if several have "
            "the maximum length)."
        ),
        "starter": "class Solution:\n    def longestPalindrome(self, s: str) -> str:\n        ",
        "args": [["babad"], ["cbbd"], ["a"], ["ab" * 400 + "x" + "ba" * 400]],
        "public": 2,
        "reference": (
            "class Solution:\n    def longestPalindrome(self, s: str) -> str:\n"
            "        best = (0, 1)\n        for center in range(2 * len(s) - 1):\n"
            "            lo, hi = center // 2, center // 2 + center % 2\n"
            "            while lo >= 0 and hi < len(s) and s[lo] == s[hi]:\n"
            "                lo -= 1\n                hi += 1\n"
            "            if hi - lo - 1 > best[1] - best[0]:\n                best = (lo + 1, hi)\n"
            "        return s[best[0]:best[1]]\n"
        ),
        "wrong": "class Solution:\n    def longestPalindrome(self, s: str) -> str:\n        return s[0]\n",
        "slow": (
            "class Solution:\n    def longestPalindrome(self, s: str) -> str:\n        best = ''\n"
            "        for i in range(len(s)):\n            for j in range(i, len(s)):\n"
            "                t = s[i:j + 1]\n                if t == t[::-1] and len(t) > len(best):\n"
            "                    best = t\n        import time\n        time.sleep(len(s) / 50)\n"
            "        return best\n"
        ),
        "crash": (
            "class Solution:\n    def longestPalindrome(self, s: str) -> str:\n"
            "        return s + None\n"
        ),
    },
    {
        "id": "3105",
        "title": "island-count",
        "difficulty": "medium",
        "date": "2024-07-27",
        "fn_name": "numIslands",
        "statement": (
            "grid is a list of strings of '1' (land) and '0' (water). Return the number of "
            "islands (4-connected land regions)."
        ),
        "starter": "class Solution:\n    def numIslands(self, grid: List[str]) -> int:\n        ",
        "args": [
            [["11000", "11000", "00100", "00011"]],
            [["1"]],
            [["10" * 50 if r % 2 == 0 else "01" * 50 for r in range(100)]],
        ],
        "public": 1,
        "reference": (
            "class Solution:\n    def numIslands(self, grid: List[str]) -> int:\n"
            "        h, w = len(grid), len(grid[0])\n        seen = set()\n        count = 0\n"
            "        for r in range(h):\n            for c in range(w):\n"
            "                if grid[r][c] == '1' and (r, c) not in seen:\n"
            "                    count += 1\n                    stack = [(r, c)]\n"
            "                    seen.add((r, c))\n                    while stack:\n"
            "                        y, x = stack.pop()\n"
            "                        for ny, nx in ((y+1, x), (y-1, x), (y, x+1), (y, x-1)):\n"
            "                            if 0 <= ny < h and 0 <= nx < w and grid[ny][nx] == '1' "
            "and (ny, nx) not in seen:\n                                seen.add((ny, nx))\n"
            "                                stack.append((ny, nx))\n        return count\n"
        ),
        "wrong": (
            "class Solution:\n    def numIslands(self, grid: List[str]) -> int:\n"
            "        return sum(row.count('1') for row in grid)\n"
        ),
        "slow": (
            "class Solution:\n    def numIslands(self, grid: List[str]) -> int:\n"
            "        while True:\n            grid = [row[::-1] for row in grid]\n"
        ),
        "crash": (
            "class Solution:\n    def numIslands(self, grid: List[str]) -> int:\n"
            "        grid[0][0] = '0'\n        return 0\n"
        ),
    },
    {
        "id": "3106",
        "title": "merge-ranges",
        "difficulty": "medium",
        "date": "2024-09-21",
        "fn_name": "merge",
        "statement": (
            "Merge all overlapping intervals [start, end] and return the result sorted by "
            "start, as a list of [start, end] lists."
        ),
        "starter": "class Solution:\n    def merge(self, intervals: List[List[int]]) -> List[List[int]]:\n        ",
        "args": [[[[1, 3], [2, 6], [8, 10], [15, 18]]], [[[1, 4], [4, 5]]], [[[5, 6]]]],
        "public": 1,
        "reference": (
            "class Solution:\n    def merge(self, intervals: List[List[int]]) -> List[List[int]]:\n"
            "        out = []\n        for s, e in sorted(intervals):\n"
            "            if out and s <= out[-1][1]:\n                out[-1][1] = max(out[-1][1], e)\n"
            "            else:\n                out.append([s, e])\n        return out\n"
        ),
        "wrong": (
            "class Solution:\n    def merge(self, intervals: List[List[int]]) -> List[List[int]]:\n"
            "        out = []\n        for s, e in sorted(intervals):\n"
            "            if out and s <= out[-1][1]:\n"
            "                out[-1] = (out[-1][0], max(out[-1][1], e))\n"
            "            else:\n                out.append((s, e))\n        return out\n"
        ),
        "slow": (
            "class Solution:\n    def merge(self, intervals: List[List[int]]) -> List[List[int]]:\n"
            "        import time\n        time.sleep(120)\n        return intervals\n"
        ),
        "crash": (
            "class Solution:\n    def merge(self, intervals: List[List[int]]) -> List[List[int]]:\n"
            "        return sorted(intervals, key=lambda p: p[2])\n"
        ),
    },
    {
        "id": "3107",
        "title": "valid-board-row",
        "difficulty": "easy",
        "date": "2024-10-26",
        "fn_name": "isValidRow",
        "statement": (
            "row is a list of 9 strings, each a digit '1'-'9' or '.'. Return true when no "
            "digit appears twice."
        ),
        "starter": "class Solution:\n    def isValidRow(self, row: List[str]) -> bool:\n        ",
        "args": [
            [["5", "3", ".", ".", "7", ".", ".", ".", "."]],
            [["8", "3", ".", ".", "7", ".", ".", "8", "."]],
            [[".", ".", ".", ".", ".", ".", ".", ".", "."]],
        ],
        "public": 2,
        "reference": (
            "class Solution:\n    def isValidRow(self, row: List[str]) -> bool:\n"
            "        digits = [c for c in row if c != '.']\n        return len(digits) == len(set(digits))\n"
        ),
        "wrong": (
            "class Solution:\n    def isValidRow(self, row: List[str]) -> bool:\n"
            "        digits = [c for c in row if c != '.']\n"
            "        return 'true' if len(digits) == len(set(digits)) else 'false'\n"
        ),
        "slow": (
            "class Solution:\n    def isValidRow(self, row: List[str]) -> bool:\n        n = 0\n"
            "        while n >= 0:\n            n += 1\n        return True\n"
        ),
        "crash": (
            "class Solution:\n    def isValidRow(self, row: List[str]) -> bool:\n"
            "        return len(set(map(int, row))) == 9\n"
        ),
    },
    {
        "id": "3108",
        "title": "cheapest-descent",
        "difficulty": "medium",
        "date": "2024-12-07",
        "fn_name": "minPathSum",
        "statement": (
            "Return the minimum sum of a path from the top-left to the bottom-right cell of "
            "grid moving only right or down."
        ),
        "starter": "class Solution:\n    def minPathSum(self, grid: List[List[int]]) -> int:\n        ",
        "args": [
            [[[1, 3, 1], [1, 5, 1], [4, 2, 1]]],
            [[[1, 2, 3], [4, 5, 6]]],
            [[[(r * 31 + c * 17) % 10 for c in range(40)] for r in range(40)]],
        ],
        "public": 2,
        "reference": (
            "class Solution:\n    def minPathSum(self, grid: List[List[int]]) -> int:\n"
            "        h, w = len(grid), len(grid[0])\n        best = [0] * w\n"
            "        for r in range(h):\n            for c in range(w):\n"
            "                if r == 0 and c == 0:\n                    best[c] = grid[0][0]\n"
            "                elif r == 0:\n                    best[c] = best[c - 1] + grid[r][c]\n"
            "                elif c == 0:\n                    best[c] = best[c] + grid[r][c]\n"
            "                else:\n                    best[c] = min(best[c], best[c - 1]) + grid[r][c]\n"
            "        return best[-1]\n"
        ),
        "wrong": (
            "class Solution:\n    def minPathSum(self, grid: List[List[int]]) -> int:\n"
            "        return sum(grid[0]) + sum(row[-1] for row in grid[1:]) - 1\n"
        ),
        "slow": (
            "class Solution:\n    def minPathSum(self, grid: List[List[int]]) -> int:\n"
            "        h, w = len(grid), len(grid[0])\n\n        def go(r, c):\n"
            "            if r == h - 1 and c == w - 1:\n                return grid[r][c]\n"
            "            options = []\n            if r + 1 < h:\n                options.append(go(r + 1, c))\n"
            "            if c + 1 < w:\n                options.append(go(r, c + 1))\n"
            "            return grid[r][c] + min(options)\n\n        return go(0, 0)\n"
        ),
        "crash": (
            "class Solution:\n    def minPathSum(self, grid: List[List[int]]) -> int:\n"
            "        return grid[len(grid)][0]\n"
        ),
    },
    {
        "id": "3109",
        "title": "edit-steps",
        "difficulty": "hard",
        "date": "2025-01-11",
        "fn_name": "minDistance",
        "statement": (
            "Return the minimum number of single-character insertions, deletions and "
            "replacements turning word1 into word2."
        ),
        "starter": "class Solution:\n    def minDistance(self, word1: str, word2: str) -> int:\n        ",
        "args": [
            ["horse", "ros"],
            ["intention", "execution"],
            ["", "abc"],
            ["abcdefghijklmnopqrstu" * 2, "utsrqponmlkjihgfedcba" * 2],
        ],
        "public": 2,
        "reference": (
            "class Solution:\n    def minDistance(self, word1: str, word2: str) -> int:\n"
            "        prev = list(range(len(word2) + 1))\n        for i, a in enumerate(word1, 1):\n"
            "            cur = [i] + [0] * len(word2)\n            for j, b in enumerate(word2, 1):\n"
            "                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a != b))\n"
            "            prev = cur\n        return prev[-1]\n"
        ),
        "wrong": (
            "class Solution:\n    def minDistance(self, word1: str, word2: str) -> int:\n"
            "        return abs(len(word1) - len(word2))\n"
        ),
        "slow": (
            "class Solution:\n    def minDistance(self, word1: str, word2: str) -> int:\n"
            "        def go(i, j):\n            if i == len(word1):\n                return len(word2) - j\n"
            "            if j == len(word2):\n                return len(word1) - i\n"
            "            if word1[i] == word2[j]:\n                return go(i + 1, j + 1)\n"
            "            return 1 + min(go(i + 1, j), go(i, j + 1), go(i + 1, j + 1))\n"
            "        return go(0, 0)\n"
        ),
        "crash": (
            "class Solution:\n    def minDistance(self, word1: str, word2: str) -> int:\n"
            "        return word1 - word2\n"
        ),
    },
    {
        "id": "3110",
        "title": "bit-census",
        "difficulty": "easy",
        "date": "2025-01-25",
        "fn_name": "countBits",
        "statement": "Return a list whose i-th element is the number of 1 bits of i, for i = 0..n.",
        "starter": "class Solution:\n    def countBits(self, n: int) -> List[int]:\n        ",
        "args": [[2], [5], [0], [1000]],
        "public": 2,
        "reference": (
            "class Solution:\n    def countBits(self, n: int) -> List[int]:\n"
            "        return [bin(i).count('1') for i in range(n + 1)]\n"
        ),
        "wrong": (
            "class Solution:\n    def countBits(self, n: int) -> List[int]:\n"
            "        return [bin(i).count('1') for i in range(n)]\n"
        ),
        "slow": (
            "class Solution:\n    def countBits(self, n: int) -> List[int]:\n"
            "        out = []\n        for i in range(n + 1):\n            c = 0\n"
            "            for k in range(10**6):\n                c += (i >> (k % 64)) & 1 if k < 64 else 0\n"
            "            out.append(c)\n        return out\n"
        ),
        "crash": (
            "class Solution:\n    def countBits(self, n: int) -> List[int]:\n"
            "        return [bin(i).count(1) for i in range(n + 1)]\n"
        ),
    },
    {
        "id": "3111",
        "title": "middle-of-two",
        "difficulty": "hard",
        "date": "2025-02-15",
        "fn_name": "findMedianSortedArrays",
        "statement": (
            "Given two sorted arrays, return the median of all their elements as a float."
        ),
        "starter": "class Solution:\n    def findMedianSortedArrays(self, nums1: List[int], nums2: List[int]) -> float:\n        ",
        "args": [[[1, 3], [2]], [[1, 2], [3, 4]], [[], [1]], [[0, 0], [0, 0]]],
        "public": 2,
        "reference": (
            "class Solution:\n    def findMedianSortedArrays(self, nums1: List[int], nums2: "
            "List[int]) -> float:\n        merged = sorted(nums1 + nums2)\n        n = len(merged)\n"
            "        if n % 2:\n            return float(merged[n // 2])\n"
            "        return (merged[n // 2 - 1] + merged[n // 2]) / 2\n"
        ),
        "wrong": (
            "class Solution:\n    def findMedianSortedArrays(self, nums1: List[int], nums2: "
            "List[int]) -> float:\n        merged = sorted(nums1 + nums2)\n"
            "        return merged[len(merged) // 2]\n"
        ),
        "slow": (
            "class Solution:\n    def findMedianSortedArrays(self, nums1: List[int], nums2: "
            "List[int]) -> float:\n        import time\n        time.sleep(100)\n        return 0.0\n"
        ),
        "crash": (
            "class Solution:\n    def findMedianSortedArrays(self, nums1: List[int], nums2: "
            "List[int]) -> float:\n        return nums1[0] / len(nums2[5:])\n"
        ),
    },
    {
        "id": "3112",
        "title": "word-split",
        "difficulty": "medium",
        "date": "2025-03-08",
        "fn_name": "wordBreak",
        "statement": (
            "Return true when s can be split into a sequence of one or more words of "
            "wordDict (words may repeat)."
        ),
        "starter": "class Solution:\n    def wordBreak(self, s: str, wordDict: List[str]) -> bool:\n        ",
        "args": [
            ["leetcode", ["leet", "code"]],
            ["catsandog", ["cats", "dog", "sand", "and", "cat"]],
            ["a" * 60 + "b", ["a", "aa", "aaa", "aaaa"]],
        ],
        "public": 2,
        "reference": (
            "class Solution:\n    def wordBreak(self, s: str, wordDict: List[str]) -> bool:\n"
            "        words = set(wordDict)\n        ok = [True] + [False] * len(s)\n"
            "        for i in range(1, len(s) + 1):\n"
            "            ok[i] = any(ok[j] and s[j:i] in words for j in range(i))\n        return ok[-1]\n"
        ),
        "wrong": (
            "class Solution:\n    def wordBreak(self, s: str, wordDict: List[str]) -> bool:\n"
            "        return any(w in s for w in wordDict)\n"
        ),
        "slow": (
            "class Solution:\n    def wordBreak(self, s: str, wordDict: List[str]) -> bool:\n"
            "        if not s:\n            return True\n"
            "        return any(s.startswith(w) and self.wordBreak(s[len(w):], wordDict) "
            "for w in wordDict)\n"
        ),
        "crash": (
            "class Solution:\n    def wordBreak(self, s: str, wordDict: List[str]) -> bool:\n"
            "        return wordDict[s]\n"
        ),
    },
    {
        "id": "3113",
        "title": "most-frequent",
        "difficulty": "medium",
        "date": "2025-03-29",
        "fn_name": "topKFrequent",
        "statement": (
            "Return the k most frequent values of nums, most frequent first; ties go to the "
            "smaller value first."
        ),
        "starter": "class Solution:\n    def topKFrequent(self, nums: List[int], k: int) -> List[int]:\n        ",
        "args": [[[1, 1, 1, 2, 2, 3], 2], [[1], 1], [[4, 4, 5, 5, 6], 2], [[3, 3, 3, 1, 2, 2], 1]],
        "public": 2,
        "reference": (
            "class Solution:\n    def topKFrequent(self, nums: List[int], k: int) -> List[int]:\n"
            "        counts = Counter(nums)\n"
            "        return sorted(counts, key=lambda v: (-counts[v], v))[:k]\n"
        ),
        "wrong": (
            "class Solution:\n    def topKFrequent(self, nums: List[int], k: int) -> List[int]:\n"
            "        return sorted(set(nums))[:k]\n"
        ),
        "slow": (
            "class Solution:\n    def topKFrequent(self, nums: List[int], k: int) -> List[int]:\n"
            "        counts = {}\n        while True:\n            for v in nums:\n"
            "                counts[v] = counts.get(v, 0) + 1\n"
        ),
        "crash": (
            "class Solution:\n    def topKFrequent(self, nums: List[int], k: int) -> List[int]:\n"
            "        raise NotImplementedError('todo')\n"
        ),
    },
    {
        "id": "3114",
        "title": "rain-pools",
        "difficulty": "hard",
        "date": "2025-04-12",
        "fn_name": "trap",
        "statement": (
            "height[i] is the height of a bar of width 1. Return how much rain water the "
            "elevation map holds."
        ),
        "starter": "class Solution:\n    def trap(self, height: List[int]) -> int:\n        ",
        "args": [[[0, 1, 0, 2, 1, 0, 1, 3, 2, 1, 2, 1]], [[4, 2, 0, 3, 2, 5]], [_BIG]],
        "public": 2,
        "reference": (
            "class Solution:\n    def trap(self, height: List[int]) -> int:\n"
            "        lo, hi = 0, len(height) - 1\n        left = right = water = 0\n"
            "        while lo < hi:\n            if height[lo] < height[hi]:\n"
            "                left = max(left, height[lo])\n                water += left - height[lo]\n"
            "                lo += 1\n            else:\n                right = max(right, height[hi])\n"
            "                water += right - height[hi]\n                hi -= 1\n        return water\n"
        ),
        "wrong": (
            "class Solution:\n    def trap(self, height: List[int]) -> int:\n"
            "        return sum(max(height) - h for h in height)\n"
        ),
        "slow": (
            "class Solution:\n    def trap(self, height: List[int]) -> int:\n        water = 0\n"
            "        for i in range(len(height)):\n            left = max(height[:i + 1])\n"
            "            right = max(height[i:])\n            water += min(left, right) - height[i]\n"
            "        import time\n        time.sleep(len(height) / 1000)\n        return water\n"
        ),
        "crash": (
            "class Solution:\n    def trap(self, height: List[int]) -> int:\n"
            "        return height.sum()\n"
        ),
    },
    {
        "id": "3115",
        "title": "lattice-walks",
        "difficulty": "medium",
        "date": "2025-06-07",
        "fn_name": "uniquePaths",
        "statement": (
            "Return the number of paths from the top-left to the bottom-right corner of an "
            "m x n grid moving only right or down (exact, it can be large)."
        ),
        "starter": "class Solution:\n    def uniquePaths(self, m: int, n: int) -> int:\n        ",
        "args": [[3, 7], [3, 2], [1, 1], [100, 100]],
        "public": 2,
        "reference": (
            "class Solution:\n    def uniquePaths(self, m: int, n: int) -> int:\n"
            "        return comb(m + n - 2, m - 1)\n"
        ),
        "wrong": (
            "class Solution:\n    def uniquePaths(self, m: int, n: int) -> int:\n"
            "        return comb(m + n - 2, m - 1) % (10**9 + 7)\n"
        ),
        "slow": (
            "class Solution:\n    def uniquePaths(self, m: int, n: int) -> int:\n"
            "        if m == 1 or n == 1:\n            return 1\n"
            "        return self.uniquePaths(m - 1, n) + self.uniquePaths(m, n - 1)\n"
        ),
        "crash": (
            "class Solution:\n    def uniquePaths(self, m: int, n: int) -> int:\n"
            "        return comb(m, n, 3)\n"
        ),
    },
]
