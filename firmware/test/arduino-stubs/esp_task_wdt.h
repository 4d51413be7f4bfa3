#pragma once
typedef int esp_err_t;
esp_err_t esp_task_wdt_init(uint32_t timeout, bool panic);
esp_err_t esp_task_wdt_add(void* handle);
esp_err_t esp_task_wdt_reset(void);
