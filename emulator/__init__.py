"""The local AWS emulator (moto) and the commands that deploy, plan and destroy against it."""
