"""What the athlete sees and hears: LEDs and a buzzer on GPIO, through gpiozero."""
