"""The sandbox's Python (sandbox-image/kernel/), tested without Docker: pure logic only."""
import os
import sys

KERNEL_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "sandbox-image", "kernel")
sys.path.insert(0, os.path.abspath(KERNEL_DIR))
DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "kernel-protocol.md")
