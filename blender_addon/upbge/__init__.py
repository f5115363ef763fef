"""UPBGE (the Blender game engine fork) front end: see :mod:`.component`."""
