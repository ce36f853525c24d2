"""Fakes that ship, as gpiozero's do: a synthetic athlete to point the device at when
there is no camera and no model.

``stickfigure`` poses a 3-D stick figure with known joint angles and films it;
``sequences`` scripts exercise sessions (squats with chosen faults) from it;
``synthetic`` is a frame source that draws a scripted session (``--source
synthetic:NAME``) and a pose engine that reads back the pose each frame was drawn
from, so the loop, the console and the service run end to end in milliseconds.
The real model and footage stay for what needs them (``tests/test_*_footage.py``).
``teamdevice`` is a device on the team's MQTT broker, publishing what a device
publishes (docs/team.md), for the coach's view's tests and its scale benchmark.
"""
