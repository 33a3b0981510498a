"""Tests of the simulators and of the shared solar and calendar helpers they drive."""
