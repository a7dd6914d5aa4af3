"""One way to run the selected system's stacks: a target (the local emulator or an AWS account) and an action.

``runner.run`` holds the sequence every command shares (synth, init, the stacks in order, outputs once),
``runner.target`` what a target must say about itself, and ``runner.cli`` the command line that
``python -m emulator.local`` and ``python -m aws.commands`` both parse. The targets live with what they
are about: ``emulator.target`` starts moto and its stand-ins, ``aws.target`` asks who the caller is.
"""
